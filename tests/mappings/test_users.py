"""The v1.1 user object built from v2, checked against real v1.1 answers for the same user."""

import pytest

from mappings.entities import v11_date
from mappings.users import v11_user
from tests.fakes import minimal_user, twitter_user
from tests.real import REAL_MUTE, REAL_TWITTER, knowable_differences


def test_every_field_v2_knows_matches_the_real_v11_object():
    """Converting @Twitter's v2 record gives the real v1.1 values for every field v2 carries."""
    ours = v11_user(twitter_user(), relations={"muting": False})

    assert knowable_differences(ours) == {}
    assert (ours["muting"], ours["following"]) == (
        REAL_TWITTER["muting"],
        REAL_TWITTER["following"],
    )


def test_status_entities_keep_their_indices():
    mentions = v11_user(twitter_user(), relations={"muting": True})["status"]["entities"][
        "user_mentions"
    ]

    assert [m["indices"] for m in mentions] == [[0, 15]]
    assert [m["id_str"] for m in mentions] == ["3387807501"]


def test_keys_and_types_are_those_of_a_real_v11_mute_answer():
    """Same keys, same order and same JSON types as the 2022 mutes/users/create recording."""
    ours = v11_user(twitter_user(), relations={"muting": True})

    assert list(REAL_MUTE) == list(ours)
    for key, value in REAL_MUTE.items():
        if value is not None:
            assert type(value) is type(ours[key]), key
    assert list(REAL_MUTE["status"]) == [k for k in ours["status"] if k != "possibly_sensitive"]


def test_a_bare_user_still_makes_a_complete_object():
    """A user with no optional v2 fields: no URL, no tweets, no banner."""
    ours = v11_user(minimal_user("42", "someone"), relations={"muting": True})

    assert (ours["url"], ours["location"], ours["description"]) == (None, "", "")
    assert ours["entities"] == {"description": {"urls": []}}
    assert "status" not in ours
    assert "profile_banner_url" not in ours
    assert ours["muting"] is True


@pytest.mark.parametrize(
    ("image", "default"),
    [
        ("https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png", True),
        ("https://pbs.twimg.com/profile_images/1/x_normal.jpg", False),
    ],
)
def test_profile_images_come_in_both_schemes(image, default):
    user = minimal_user("42", "someone")
    user["data"]["profile_image_url"] = image
    ours = v11_user(user, relations={"muting": False})

    assert image == ours["profile_image_url_https"]
    assert image.replace("https:", "http:") == ours["profile_image_url"]
    assert default == ours["default_profile_image"]


def test_connection_status_sets_the_relationship_flags():
    user = minimal_user("42", "someone")
    user["data"]["connection_status"] = ["follow_request_sent", "muting"]
    ours = v11_user(user, relations={"muting": True})

    assert (ours["following"], ours["follow_request_sent"]) == (False, True)


def test_withheld_countries_come_from_v2():
    user = minimal_user("42", "someone")
    user["data"]["withheld"] = {"country_codes": ["DE", "FR"]}

    assert v11_user(user, relations={"muting": False})["withheld_in_countries"] == ["DE", "FR"]


@pytest.mark.parametrize(
    ("iso", "v11"),
    [
        ("2013-12-14T04:35:55.000Z", "Sat Dec 14 04:35:55 +0000 2013"),
        ("2007-02-20T14:35:54.000Z", "Tue Feb 20 14:35:54 +0000 2007"),
        ("2007-02-20T14:35:54Z", "Tue Feb 20 14:35:54 +0000 2007"),
        ("2007-02-20T16:35:54.5+02:00", "Tue Feb 20 14:35:54 +0000 2007"),
    ],
)
def test_dates_are_written_the_v11_way(iso, v11):
    assert v11 == v11_date(iso)


@pytest.mark.parametrize("iso", ["2007-02-20T14:35:54.000", "20 Feb 2007", ""])
def test_a_date_without_its_offset_is_refused(iso):
    """A time in no known zone would be written as UTC, wrongly."""
    with pytest.raises(ValueError, match=r"isoformat|offset"):
        v11_date(iso)
