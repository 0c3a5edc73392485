import pytest

from programmes.models import AccessEvent, Membership
from programmes.rls import programme_scope


@pytest.mark.parametrize(
    ("role", "home", "team", "settings"),
    [
        ("viewer", 200, 403, 403),
        ("coordinator", 200, 403, 403),
        ("lead", 200, 200, 200),
    ],
)
def test_pages_open_by_role(programme, make_member, login, role, home, team, settings):
    client = login(make_member(programme, role))
    assert client.get(f"/p/{programme.slug}/").status_code == home
    assert client.get(f"/p/{programme.slug}/team/").status_code == team
    assert client.get(f"/p/{programme.slug}/settings/").status_code == settings


def test_lead_changes_a_role_and_the_access_log_records_it(programme, lead, coordinator, login):
    membership = Membership.objects.get(user=coordinator)
    response = login(lead).post(
        f"/p/{programme.slug}/team/members/{membership.pk}/role/", {f"m{membership.pk}-role": "viewer"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "viewer"
    with programme_scope(programme.pk):
        event = AccessEvent.objects.for_programme(programme).get(action="role_changed")
    assert (event.actor, event.detail) == (
        lead,
        {"email": coordinator.email, "before": "coordinator", "after": "viewer"},
    )


def test_the_last_lead_cannot_be_demoted_or_removed(programme, lead, login):
    membership = Membership.objects.get(user=lead)
    client = login(lead)
    client.post(f"/p/{programme.slug}/team/members/{membership.pk}/role/", {f"m{membership.pk}-role": "viewer"})
    client.post(f"/p/{programme.slug}/team/members/{membership.pk}/remove/")
    membership.refresh_from_db()
    assert membership.role == "lead"
    page = client.get(f"/p/{programme.slug}/team/")
    assert page.status_code == 200


def test_lead_removes_a_member_who_then_loses_access(programme, lead, coordinator, login):
    membership = Membership.objects.get(user=coordinator)
    login(lead).post(f"/p/{programme.slug}/team/members/{membership.pk}/remove/")
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert login(coordinator).get(f"/p/{programme.slug}/").status_code == 404
    with programme_scope(programme.pk):
        assert AccessEvent.objects.for_programme(programme).filter(action="member_removed").count() == 1


def test_a_lead_cannot_touch_a_membership_of_another_programme(programme, other_programme, lead, make_member, login):
    foreign = Membership.objects.get(user=make_member(other_programme, "coordinator"))
    response = login(lead).post(f"/p/{programme.slug}/team/members/{foreign.pk}/role/", {f"m{foreign.pk}-role": "lead"})
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == "coordinator"


def test_a_person_in_two_programmes_switches_between_them(programme, other_programme, coordinator, login):
    Membership.objects.create(user=coordinator, programme=other_programme, role="viewer")
    client = login(coordinator)
    page = client.get(f"/p/{programme.slug}/").content.decode()
    assert 'id="programme-switcher"' in page
    assert f'value="{other_programme.slug}"' in page
    response = client.get("/switch-programme/", {"programme": other_programme.slug})
    assert response["Location"] == f"/p/{other_programme.slug}/"
    assert client.get(response["Location"]).status_code == 200


def test_iof_staff_use_the_admin_but_see_no_programme_pages(programme, iof_staff, coordinator, login):
    staff = login(iof_staff)
    assert staff.get("/admin/").status_code == 200
    assert staff.get("/admin/programmes/programme/").status_code == 200
    assert staff.get(f"/p/{programme.slug}/").status_code == 404
    assert login(coordinator).get("/admin/").status_code == 302


def test_admin_lists_programmes_with_search_and_filters(programme, other_programme, iof_staff, login):
    page = login(iof_staff).get("/admin/programmes/programme/", {"q": "Lyon"}).content.decode()
    assert "FLS Lyon Sud" in page
    assert "FLS Yaroslavl" not in page
    page = login(iof_staff).get("/admin/programmes/programme/", {"country__exact": "RU"}).content.decode()
    assert "FLS Yaroslavl" in page
    assert "FLS Lyon Sud" not in page


def test_admin_shows_the_access_log_read_only(programme, lead, coordinator, iof_staff, login):
    membership = Membership.objects.get(user=coordinator)
    login(lead).post(f"/p/{programme.slug}/team/members/{membership.pk}/role/", {f"m{membership.pk}-role": "viewer"})
    with programme_scope(programme.pk):
        event = AccessEvent.objects.for_programme(programme).get()
    staff = login(iof_staff)
    assert staff.get("/admin/programmes/accessevent/").status_code == 200
    staff.post(f"/admin/programmes/accessevent/{event.pk}/delete/", {"post": "yes"})
    with programme_scope(programme.pk):
        assert AccessEvent.objects.for_programme(programme).count() == 1


def test_api_lists_my_programmes_and_the_programme(programme, other_programme, lead, login):
    client = login(lead)
    mine = client.get("/api/v1/programmes/").json()
    assert [(m["programme"]["slug"], m["role"]) for m in mine] == [(programme.slug, "lead")]
    detail = client.get(f"/api/v1/programmes/{programme.slug}/").json()
    assert (detail["slug"], detail["country"]) == (programme.slug, "RU")
    assert client.get(f"/api/v1/programmes/{other_programme.slug}/").status_code == 404
