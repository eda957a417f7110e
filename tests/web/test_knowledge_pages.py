"""The knowledge base's pages: answering a call from an article by keyboard, the workflow through the forms, axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.access import Actor
from app.calls.service import start_call
from app.db import db
from app.knowledge.service import propose_article
from app.models import Article, ArticleRevision, Call
from app.vocabulary import ArticleState, CallOutcome, Role
from tests.knowledge.helpers import draft, published
from tests.web.conftest import Login, csrf_token, log_in, log_in_client, serious_violations


def _actor(login: Login, role: Role) -> Actor:
    return Actor(user_id=login.user_id, username=login.username, role=role)


@pytest.fixture
def desk(make_login):
    """An agent and a supervisor with console passwords, and three published articles and a draft."""
    agent, supervisor = make_login(Role.AGENT, None), make_login(Role.SUPERVISOR, None)
    writer, publisher = _actor(agent, Role.AGENT), _actor(supervisor, Role.SUPERVISOR)
    bulky = published(writer, publisher)
    published(writer, publisher, title_zh="垃圾車收運時間", title_en="Garbage truck times", body_zh="週三、週日停收。")
    published(
        writer, publisher, title_zh="房屋稅", title_en="House tax", body_zh="五月繳納。", tags=["稅"], agency_code="TAX"
    )
    proposal = propose_article(session=db.session, actor=writer, draft=draft(title_zh="垃圾分類（草稿）"))
    return {"agent": agent, "supervisor": supervisor, "writer": writer, "bulky": bulky, "draft": proposal}


def _tab_to(page, element_id: str, limit: int = 30) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.id") == element_id:
            return
    raise AssertionError(f"#{element_id} not reached by Tab")


def test_an_agent_answers_a_consultation_from_an_article_by_keyboard_only(page, desk) -> None:
    call = start_call(session=db.session, actor=desk["writer"], caller="0912-345-678")
    log_in(page, desk["agent"])
    expect(page).to_have_url(re.compile(r"/console/intake"))  # an agent's home
    page.wait_for_load_state()  # its keys work once its scripts have run (the URL changes before)
    page.keyboard.press("Alt+Shift+K")
    expect(page.get_by_role("heading", level=1)).to_have_text("知識庫")
    expect(page.locator("#call-in-progress")).to_contain_text("0912 345 678")
    page.keyboard.type("清運")  # the search field has the focus
    page.keyboard.press("Enter")
    expect(page.locator("#results-count")).to_contain_text("共 1 篇")
    page.wait_for_load_state()  # the results page's keys work once its scripts have run
    page.keyboard.press("/")
    page.keyboard.press("ArrowDown")
    expect(page.locator("a[data-result]").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("大型廢棄物預約清運")
    _tab_to(page, "answer-button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("已以此文章回覆，來電已結束")
    expect(page.locator("#call-in-progress")).to_have_count(0)
    db.session.rollback()  # a read transaction left open would still see the rows as they were
    db.session.expire_all()
    ended = db.session.get(Call, call.id)
    assert (ended.outcome, ended.article_id) == (CallOutcome.CONSULTATION_ANSWERED, desk["bulky"].id)


def test_drafts_offer_no_answer_and_past_review_dates_are_flagged_in_words(client, desk) -> None:
    start_call(session=db.session, actor=desk["writer"], caller="0912345678")
    log_in_client(client, desk["agent"])
    article = db.session.get(Article, desk["bulky"].id)
    db.session.execute(
        Article.__table__.update()
        .where(Article.id == article.id)
        .values(review_on=article.review_on.replace(year=2020))
    )
    db.session.commit()
    listing = client.get("/console/knowledge?q=垃圾").get_data(as_text=True)
    assert "已逾複核日 109/12/01" in listing and listing.count("以此文章回覆並結束來電：") == 2
    drafts = client.get("/console/knowledge?list=draft").get_data(as_text=True)
    assert "垃圾分類（草稿）" in drafts and "以此文章回覆並結束來電" not in drafts


def test_the_intake_page_can_answer_with_json(client, desk) -> None:
    call = start_call(session=db.session, actor=desk["writer"], caller="0912345678")
    log_in_client(client, desk["agent"])
    token = csrf_token(client, "/console/knowledge")
    headers = {"X-CSRFToken": token, "Accept-Language": "en"}
    refused = client.post(f"/console/knowledge/{desk['draft'].id}/answer", json={"call_id": call.id}, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {"article_id": ["Only a published article can answer a call."]}
    answered = client.post(f"/console/knowledge/{desk['bulky'].id}/answer", json={"call_id": call.id}, headers=headers)
    assert answered.status_code == 200
    assert answered.get_json() | {"ended_at": None} == {
        "call_id": call.id,
        "outcome": "consultation_answered",
        "article_id": desk["bulky"].id,
        "ended_at": None,
    }
    again = client.post(f"/console/knowledge/{desk['bulky'].id}/answer", json={}, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "call.none_in_progress"


def _article_state(article_id: int) -> tuple[object, ...]:
    db.session.rollback()  # a read transaction left open would still see the rows as they were
    db.session.expire_all()
    article = db.session.get(Article, article_id)
    count = db.session.scalar(select(func.count()).where(ArticleRevision.article_id == article_id))
    return article.state, article.version, article.title_zh, count


def test_an_agent_proposes_through_the_form_cannot_publish_and_a_supervisor_publishes(app, client, desk) -> None:
    log_in_client(client, desk["agent"])
    form = {
        "csrf_token": csrf_token(client, "/console/knowledge/new"),
        "title_zh": "",
        "body_zh": "內容",
        "tags": "甲、乙",
    }
    refused = client.post("/console/knowledge/new", data=form)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "此欄位必填" in text and ">內容</textarea>" in text  # values kept
    created = client.post("/console/knowledge/new", data={**form, "title_zh": "敬老卡申請"})
    article_id = int(created.headers["Location"].rsplit("/", 1)[1])
    before = _article_state(article_id)
    assert before[0] is ArticleState.DRAFT
    page = client.get(f"/console/knowledge/{article_id}").get_data(as_text=True)
    assert "待督導審核發布" in page and ">發布</button>" not in page
    token = csrf_token(client, f"/console/knowledge/{article_id}")
    for action in ("publish", "archive", "review"):
        answer = client.post(
            f"/console/knowledge/{article_id}/{action}",
            data={"csrf_token": token, "version": before[1], "review_on": "2030-01-01"},
        )
        assert answer.status_code == 403 and answer.mimetype == "text/html"
        assert _article_state(article_id) == before
    other = app.test_client()
    log_in_client(other, desk["supervisor"])
    token = csrf_token(other, f"/console/knowledge/{article_id}")
    done = other.post(f"/console/knowledge/{article_id}/publish", data={"csrf_token": token, "version": before[1]})
    assert done.status_code == 302
    assert "文章已發布" in other.get(done.headers["Location"]).get_data(as_text=True)
    assert _article_state(article_id)[0] is ArticleState.PUBLISHED


def test_a_stale_edit_says_who_changed_what_and_keeps_the_values(app, client, desk) -> None:
    article_id = desk["draft"].id
    log_in_client(client, desk["agent"])
    mine = client.get(f"/console/knowledge/{article_id}/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', mine).group(1)
    other = app.test_client()
    log_in_client(other, desk["supervisor"])
    theirs_token = csrf_token(
        other, f"/console/knowledge/{article_id}/edit", re.compile(r'name="csrf_token" value="([^"]+)"')
    )
    values = {"title_zh": "垃圾分類", "body_zh": "督導改寫的內容", "tags": "垃圾", "agency": "EPB"}
    assert (
        other.post(
            f"/console/knowledge/{article_id}/edit", data={**values, "csrf_token": theirs_token, "version": 1}
        ).status_code
        == 302
    )
    before = _article_state(article_id)
    mine_values = {**values, "title_zh": "我的標題", "body_zh": "我的內容"}
    stale = client.post(
        f"/console/knowledge/{article_id}/edit", data={**mine_values, "csrf_token": token, "version": 1}
    )
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "已被其他人修改" in text and desk["supervisor"].username in text and "內容（中文）" in text
    assert 'value="我的標題"' in text and ">我的內容</textarea>" in text and 'name="version" value="2"' in text
    assert _article_state(article_id) == before


PAGES = (
    "/console/knowledge?q=垃圾",
    "/console/knowledge/{id}",
    "/console/knowledge/{id}/edit",
    "/console/knowledge/new",
)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_every_knowledge_page_has_no_serious_violations(page, desk, lang: str) -> None:
    start_call(session=db.session, actor=_actor(desk["supervisor"], Role.SUPERVISOR), caller="0912345678")
    log_in(page, desk["supervisor"])
    expect(page).to_have_url(re.compile(r"/console/live"))
    for path in PAGES:
        page.goto(path.format(id=desk["bulky"].id) + ("&" if "?" in path else "?") + f"lang={lang}")
        assert serious_violations(page) == [], path
    page.goto(f"/console/knowledge/{desk['bulky'].id}/edit?lang={lang}")
    page.locator("#title_zh").fill("")
    page.get_by_role("button", name=re.compile("儲存|Save")).click()
    expect(page.locator("#title_zh-error")).to_be_visible()
    assert serious_violations(page) == []
