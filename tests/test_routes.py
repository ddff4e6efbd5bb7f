"""Every route against every role: anonymous → sign-in page, wrong role → 403, right role → 200.

The routes are read from the app's URL map, so a route added later without a guard, or without
a sample value for its URL parameters, fails here until it is covered.
"""

import re
from datetime import date

import pytest
from flask import Flask

from accounts.guards import is_guarded, required_roles
from accounts.models import Role

EVERYONE = frozenset(Role)
CITY = EVERYONE - {Role.OUTLET}  # the city's own staff: not the pharmacies' outlet staff
PUBLIC = None
ADMIN = frozenset({Role.ADMIN})
ALLOCATOR = frozenset({Role.ALLOCATOR})

# Who may use each view: the test's own table, not read from the code, so that a weakened guard
# fails here. A new view fails `test_every_route_is_in_the_table` until it is added.
EXPECTED_ROLES = {
    "accounts.login": PUBLIC,
    "home.set_language": PUBLIC,
    # Citizens' booking pages: no sign-in (rationing).
    "rationing.book_index": PUBLIC,
    "rationing.book": PUBLIC,
    "rationing.booked": PUBLIC,
    "rationing.result": PUBLIC,
    "rationing.published_draw": PUBLIC,
    "rationing.draw_entries": PUBLIC,
    "rationing.outlets": ALLOCATOR,
    "rationing.outlet": ALLOCATOR,
    "rationing.booking_rounds": ALLOCATOR,
    "rationing.new_booking_round": ALLOCATOR,
    "rationing.booking_round": ALLOCATOR,
    "rationing.draw": ALLOCATOR,
    "rationing.close": ALLOCATOR,
    "rationing.outlet_staff": ALLOCATOR,
    "rationing.report": frozenset({Role.ALLOCATOR, Role.AUDITOR}),
    "rationing.report_export": frozenset({Role.ALLOCATOR, Role.AUDITOR}),
    # At the outlets: their staff confirm pickups.
    "rationing.pickup": frozenset({Role.OUTLET}),
    "rationing.confirm_pickup": frozenset({Role.OUTLET}),
    "home.home": EVERYONE,
    "accounts.logout": EVERYONE,
    "accounts.change_password": EVERYONE,
    "accounts.users": ADMIN,
    "accounts.new_user": ADMIN,
    "accounts.edit_user": ADMIN,
    "accounts.reset_password": ADMIN,
    "accounts.set_active": ADMIN,
    "accounts.sign_ins": ADMIN,
    "ledger.stock": CITY,
    "ledger.lot": CITY,
    "ledger.trace": CITY,
    "ledger.recipient": CITY,
    "ledger.entries": CITY,
    "ledger.verify": frozenset({Role.AUDITOR, Role.ADMIN}),
    "ledger.hold": frozenset({Role.INSPECTOR}),
    "ledger.unhold": frozenset({Role.INSPECTOR}),
    "ledger.write_off": frozenset({Role.INSPECTOR}),
    "ledger.write_off_expired": frozenset({Role.INSPECTOR}),
    "ledger.reverse": frozenset({Role.INSPECTOR, Role.ALLOCATOR}),
    "ledger.grades": ADMIN,
    "ledger.new_grade": ADMIN,
    "ledger.edit_grade": ADMIN,
    "procurement.suppliers": CITY,
    "procurement.new_supplier": frozenset({Role.PROCUREMENT}),
    "procurement.supplier": CITY,
    "procurement.purchases": CITY,
    "procurement.new_purchase": frozenset({Role.PROCUREMENT}),
    "procurement.purchase": CITY,
    "procurement.receive": frozenset({Role.PROCUREMENT}),
    "procurement.batches": CITY,
    "procurement.batch": CITY,
    "procurement.add_certificate": frozenset({Role.PROCUREMENT}),
    "procurement.add_supplier_document": frozenset({Role.PROCUREMENT}),
    "procurement.attach_certificate": frozenset({Role.PROCUREMENT}),
    "procurement.scan": CITY,
    "procurement.confirm": frozenset({Role.INSPECTOR}),
    "procurement.release": frozenset({Role.INSPECTOR}),
    "procurement.reject": frozenset({Role.INSPECTOR}),
    "procurement.import_batches": frozenset({Role.PROCUREMENT}),
    "procurement.import_template": frozenset({Role.PROCUREMENT}),
    "procurement.prices": ADMIN,
    "procurement.negative_list": frozenset({Role.PROCUREMENT, Role.INSPECTOR, Role.ADMIN}),
    "procurement.unlist": ADMIN,
    "allocation.recipients": CITY,
    "allocation.recipient": CITY,
    "allocation.new_recipient": ALLOCATOR,
    "allocation.import_recipients": ALLOCATOR,
    "allocation.recipient_template": ALLOCATOR,
    "allocation.edit_recipient": ALLOCATOR,
    "allocation.change_tier": ALLOCATOR,
    "allocation.set_active": ALLOCATOR,
    "allocation.rounds": CITY,
    "allocation.round": CITY,
    "allocation.new_round": ALLOCATOR,
    "allocation.add_request": ALLOCATOR,
    "allocation.withdraw_request": ALLOCATOR,
    "allocation.import_requests": ALLOCATOR,
    "allocation.request_template": ALLOCATOR,
    "allocation.policy": ADMIN,
    "allocation.plans_list": CITY,
    "allocation.plan": CITY,
    "allocation.new_plan": ALLOCATOR,
    "allocation.run_plan": ALLOCATOR,
    "allocation.submit_plan": ALLOCATOR,
    "allocation.approve_plan": frozenset({Role.APPROVER}),
    "allocation.return_plan": frozenset({Role.APPROVER}),
    "allocation.cancel_plan": ALLOCATOR,
    "allocation.issue_plan": ALLOCATOR,
    "allocation.reverse_plan": ALLOCATOR,
    "allocation.delivery": ALLOCATOR,
    "audit.plan_pdf": CITY,
    "audit.verify": frozenset({Role.AUDITOR, Role.ADMIN}),
    "audit.verify_upload": frozenset({Role.AUDITOR, Role.ADMIN}),
    "audit.daily": CITY,
    "audit.daily_pdf": CITY,
    "audit.recall_pdf": CITY,
    "audit.exports": CITY,
    "audit.export": CITY,
    "jobs.show": CITY,
    "jobs.status": CITY,
}

# Views every signed-in user may POST to, whatever their roles, because they change only the
# person's own session or password, never the records: the auditor may use these too.
PERSONAL = {"accounts.login", "accounts.logout", "accounts.change_password", "home.set_language"}
# POST only to carry an uploaded file that is read and answered; nothing is stored or changed.
READ_ONLY_POSTS = {"audit.verify_upload"}
# A citizen books, and looks up a result, without signing in (rate-limited instead).
CITIZEN_POSTS = {"rationing.book", "rationing.result"}
# A background job is seen by the person who started it and by administrators; anyone else
# gets a 404, as for a job that does not exist (tests/test_jobs.py checks who is who).
OWNER_ONLY = {"jobs.show", "jobs.status"}
# GET views that redirect a signed-in user instead of showing a page.
REDIRECT_WHEN_SIGNED_IN = {"accounts.login"}


def sample_values(app, ids: dict) -> dict:
    """A value for every URL parameter name used by a route. Add new parameters here."""
    values = _ledger_samples(app)
    return {
        "user_id": ids["other_user"],
        **values,
        **_procurement_samples(app),
        **(allocation := _allocation_samples(app, values)),
        **_rationing_samples(app, allocation["plan_id"], values["recipient_id"]),
        "job_id": _job_sample(app, ids["other_user"]),
    }


def _rationing_samples(app, plan_id: int, recipient_id: int) -> dict:
    """An outlet with a slot (the matrix's outlet-staff user works there), a drawn booking
    round, and a booking in it drawn for that outlet."""
    from datetime import UTC, datetime, time, timedelta

    import sqlalchemy as sa

    from accounts.models import User
    from catalog.models import Grade
    from extensions import db
    from rationing.models import Booking, BookingRound, Outlet, OutletSlot, RoundOutlet

    with app.app_context():
        outlet = Outlet(recipient_id=recipient_id, name="测试门店", district="浈江区")
        outlet.staff = list(
            db.session.scalars(sa.select(User).where(User.username == f"only-{Role.OUTLET.value}"))
        )
        slot = OutletSlot(outlet=outlet, starts=time(9), ends=time(10), capacity=10)
        now = datetime.now(UTC)
        found = BookingRound(
            name="测试预约",
            plan_id=plan_id,
            grade_id=db.session.scalar(sa.select(Grade.id).limit(1)),
            pieces_per_person=5,
            price_per_piece=1,
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(hours=1),
            pickup_on=(now + timedelta(days=2)).date(),
            quota_days=7,
            seed="0" * 64,
            seed_sha256="1" * 64,
            status="drawn",  # its published draw and entries are there to fetch
        )
        db.session.add_all([outlet, slot, found])
        db.session.flush()
        db.session.add(RoundOutlet(round_id=found.id, outlet_id=outlet.id, pieces=50, places=10))
        booking = Booking(
            round_id=found.id,
            reference="ROUTE23456",
            outlet_id=outlet.id,
            slot_id=slot.id,
            name="测试",
            phone="13800000000",
            id_hash="2" * 64,
            status="won",
            won_outlet_id=outlet.id,
            won_slot_id=slot.id,
            pickup_code="12345678",
        )
        db.session.add(booking)
        db.session.commit()
        return {
            "outlet_id": outlet.id,
            "booking_round_id": found.id,
            "reference": "ROUTE23456",
            "booking_id": booking.id,
        }


def _job_sample(app, user_id: int) -> int:
    """A running job (its owner is nobody in the role matrix: only the admin sees it)."""
    from core.jobs import Job, JobStatus
    from extensions import db

    with app.app_context():
        job = Job(kind="sample", status=JobStatus.RUNNING, user_id=user_id, total=10, done=3)
        db.session.add(job)
        db.session.commit()
        return job.id


def _procurement_samples(app) -> dict:
    """A supplier, a purchase with a line, a batch received against it, a certificate with a
    scan."""
    from datetime import date
    from decimal import Decimal

    from catalog import services as catalog
    from extensions import db
    from procurement import certificates, services
    from tests.procurement_helpers import PNG_BYTES, valid_uscc

    with app.app_context():
        supplier = services.create_supplier(
            "路由测试医疗有限公司", "maker", valid_uscc("91440300MA5F")
        )
        grade = catalog.find_grade("surgical") or catalog.create_grade(
            "surgical", "YY 0469", "医用外科口罩", "Surgical mask"
        )
        purchase = services.create_purchase(
            "purchase",
            supplier.id,
            date(2020, 2, 10),
            [services.LineInput(grade.id, 1000, Decimal("0.9"))],
            contract_number="ROUTE-C-1",
        )
        line = purchase.lines[0]
        lot = services.receive_batch(
            line,
            lot_number="ROUTE-B-1",
            maker=supplier.name,
            model="平面",
            pieces=1000,
            pieces_per_box=50,
            origin="domestic_medical",
            received_on=date(2020, 2, 12),
        )
        certificate = certificates.create_certificate(
            "business_licence",
            supplier.uscc,
            holder=supplier.name,
            scan=certificates.check_scan(PNG_BYTES, "licence.png"),
            lots=[lot],
        )
        listed = services.add_listed_company(
            "路由测试黑名单企业", None, "测试通告", "", date(2020, 4, 27)
        )
        db.session.commit()
        return {
            "supplier_id": supplier.id,
            "purchase_id": purchase.id,
            "line_id": line.id,
            "certificate_id": certificate.id,
            "entry_id": listed.id,
        }


def _ledger_samples(app) -> dict:
    """A lot that was received, released and partly issued to a recipient."""
    from catalog import services as catalog
    from extensions import db
    from ledger import services as ledger
    from recipients.models import Recipient

    with app.app_context():
        grade = catalog.create_grade("route_grade", "GB 19083", "测试品类", "Test grade")
        product = catalog.product_for(grade, "测试企业", "型号 A", 20)
        lot = catalog.create_lot(product, "ROUTE-1", 500, "domestic_medical")
        recipient = Recipient(name="测试医院", category="hospital")
        db.session.add(recipient)
        ledger.receive(lot, None)
        ledger.release(lot, None)
        entry = ledger.issue(lot, recipient, 100, None)
        db.session.commit()
        return {
            "lot_id": lot.id,
            "recipient_id": recipient.id,
            "seq": entry.seq,
            "grade_id": grade.id,
        }


def _allocation_samples(app, values: dict) -> dict:
    """A round with one request and a draft plan for it; `fmt` for the request template."""
    from allocation import plans, services
    from allocation.models import Round
    from extensions import db

    with app.app_context():
        found = services.create_round("测试轮次", date(2026, 2, 10), None)
        request = services.add_request(
            found, services.RequestInput(values["recipient_id"], values["grade_id"], 50), None
        )
        plan = plans.create_plan(db.session.get(Round, found.id), None)
        db.session.commit()
        return {
            "round_id": found.id,
            "request_id": request.id,
            "plan_id": plan.id,
            "fmt": "csv",
            "dataset": "ledger",
        }


def routes(app: Flask):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        yield rule


def build_url(rule, values: dict) -> str:
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: add a sample value for {sorted(missing)} in test_routes.py"
    return rule.build({name: values[name] for name in rule.arguments})[1]


def test_every_view_has_a_guard(app):
    unguarded = [
        rule.endpoint for rule in routes(app) if not is_guarded(app.view_functions[rule.endpoint])
    ]
    assert unguarded == []


def test_every_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in routes(app)}
    assert sorted(endpoints - set(EXPECTED_ROLES)) == [], "add new views to EXPECTED_ROLES"
    assert sorted(set(EXPECTED_ROLES) - endpoints) == [], "remove deleted views from the table"


def test_declared_guards_match_the_table(app):
    for rule in routes(app):
        declared = required_roles(app.view_functions[rule.endpoint])
        assert declared == EXPECTED_ROLES[rule.endpoint], rule.endpoint


def test_only_login_language_and_citizens_booking_are_public(app):
    public = {
        rule.endpoint
        for rule in routes(app)
        if required_roles(app.view_functions[rule.endpoint]) is None
    }
    assert public == {
        "accounts.login",
        "home.set_language",
        "rationing.book_index",
        "rationing.book",
        "rationing.booked",
        "rationing.result",
        "rationing.published_draw",
        "rationing.draw_entries",
    }


def test_no_state_changing_route_admits_the_auditor(app):
    """Auditors read; apart from their own session and password they change nothing."""
    offending = []
    for rule in routes(app):
        if (
            rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
            and rule.endpoint not in PERSONAL | READ_ONLY_POSTS | CITIZEN_POSTS
        ):
            roles = required_roles(app.view_functions[rule.endpoint])
            if roles is None or Role.AUDITOR in roles:
                offending.append(rule.endpoint)
    assert offending == []


@pytest.fixture
def clients(app, make_user, auth):
    """One signed-in client per role, plus an anonymous one."""
    result = {None: app.test_client()}
    for role in Role:
        make_user(f"only-{role.value}", role)
        client = app.test_client()
        response = client.post(
            "/login", data={"username": f"only-{role.value}", "password": "correct-horse-battery"}
        )
        assert response.status_code == 302
        result[role] = client
    return result


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", re.IGNORECASE)


def test_route_role_matrix(app, clients, make_user):
    ids = {"other_user": make_user("someone-else", Role.PROCUREMENT)}
    values = sample_values(app, ids)
    problems = []
    for rule in routes(app):
        url = build_url(rule, values)
        allowed = EXPECTED_ROLES.get(rule.endpoint, frozenset())
        for method in sorted(rule.methods & {"GET", "POST"}):
            for role, client in clients.items():
                response = client.open(url, method=method)
                code = response.status_code
                where = f"{method} {url} as {role.value if role else 'anonymous'}: {code}"
                if allowed is None:
                    ok = code in (200, 302, 401)
                elif role is None:
                    ok = code == 302 and "/login" in response.location
                elif role not in allowed:
                    ok = code == 403
                elif rule.endpoint in OWNER_ONLY:
                    ok = code == (200 if role == Role.ADMIN else 404)
                elif method == "GET" and rule.endpoint not in REDIRECT_WHEN_SIGNED_IN:
                    ok = code == 200
                    html = response.mimetype == "text/html"
                    if ok and html and INLINE_SCRIPT.search(response.get_data(as_text=True)):
                        problems.append(f"{where}: inline script (forbidden by the CSP)")
                else:
                    ok = code not in (401, 403, 404, 405) and code < 500
                response.close()
                if not ok:
                    problems.append(where)
                if rule.endpoint == "accounts.logout" and role is not None:
                    # signing out ended that client's session: sign in again
                    client.post(
                        "/login",
                        data={
                            "username": f"only-{role.value}",
                            "password": "correct-horse-battery",
                        },
                    )
    assert problems == []
