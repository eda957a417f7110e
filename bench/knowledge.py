"""`python -m bench.knowledge`: knowledge-base search at 5,000 generated articles, p50/p99 per query class.

Times what the search page does (app.knowledge.queries.find_articles: the index lookups, the ranking
in Python, loading the page's 50 articles) on SQLite and PostgreSQL. Figures: bench/results/knowledge.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from app.db import db, write_transaction
from app.knowledge.queries import find_articles
from app.knowledge.search import index_article
from app.models import Article
from app.vocabulary import ArticleState
from bench.database import app_context, make_database, server_version
from bench.measure import summary_ms
from bench.report import RESULTS_DIR

TARGET_P99_MS = 100.0
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench_kb"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Words of the city's services; bodies are sentences made of them, so frequencies range from common to rare.
TOPICS = _words(
    "垃圾 資源回收 大型廢棄物 清潔隊 廚餘 垃圾車 路燈 路樹 坑洞 積水 水溝 人孔蓋 "
    "停車 停車場 違規停車 拖吊 公車 捷運 輕軌 "
    "房屋稅 地價稅 牌照稅 繳費 退稅 戶籍 身分證 戶口名簿 印鑑 敬老卡 愛心卡 長照 托育 育兒津貼 疫苗 健保 "
    "流浪犬 動物保護 噪音 空氣污染 油煙 工廠 建築執照 違章建築 公園 游泳池 圖書館 體育館 市場 攤販 "
    "颱風 停班停課 淹水 沙包 防災 避難所 里長 區公所 市政府 臺北 台灣 高雄 鳳山 左營 三民 前鎮 "
    "ATM 網路 App 線上申辦 自然人憑證 便利商店 信用卡 行動支付"
)
FILLERS = _words("請 可 民眾 如需 相關 辦理 申請 查詢 洽詢 提供 地點 時間 方式 資料 規定")
ENGLISH = _words(
    "garbage truck recycling bulky waste pickup street light pothole flooding parking towing bus MRT "
    "house tax land tax payment refund household registration senior card vaccine stray dog noise "
    "typhoon shelter district office online application convenience store credit card"
)
TAGS = ("垃圾", "交通", "稅務", "社福", "衛生", "環保", "防災", "戶政", "動物", "公園", "市場", "建管")
QUERIES = {
    "1-char": ["稅", "樹", "卡"],
    "2-char": ["垃圾", "路燈", "停車", "颱風"],
    "3+ chars": ["大型廢棄物", "房屋稅", "自然人憑證"],
    "English": ["garbage truck", "house tax", "stray dog"],
    "full-width / 臺": ["ＡＴＭ", "臺灣", "台北"],
    "two terms": ["垃圾 停車", "稅 繳費"],
    "no match": ["熱氣球", "氣球"],
    "tag + term": ["#交通 停車", "#稅務 稅"],
    "browse (no query)": [""],
}


def _body(rng: random.Random) -> tuple[str, str]:
    sentences = []
    for _ in range(rng.randint(4, 10)):
        words = [rng.choice(TOPICS) if rng.random() < 0.5 else rng.choice(FILLERS) for _ in range(rng.randint(6, 14))]
        sentences.append("".join(words) + "。")
    english = " ".join(rng.choice(ENGLISH) for _ in range(rng.randint(40, 90)))
    return "".join(sentences), english.capitalize() + "."


def load_articles(count: int, seed: int) -> None:
    """`count` articles written straight to the tables, indexed by the real index_article, in one transaction."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with write_transaction(db.session):
        for number in range(count):
            body_zh, body_en = _body(rng)
            roll = rng.random()
            state = (
                ArticleState.PUBLISHED if roll < 0.9 else ArticleState.DRAFT if roll < 0.98 else ArticleState.ARCHIVED
            )
            moment = start + timedelta(minutes=number * 7)
            article = Article(
                state=state,
                title_zh=f"{rng.choice(TOPICS)}{rng.choice(FILLERS)}{rng.choice(TOPICS)}（{number}）",
                title_en=f"{rng.choice(ENGLISH)} {rng.choice(ENGLISH)} {number}",
                body_zh=body_zh,
                body_en=body_en,
                tags=rng.sample(TAGS, rng.randint(1, 3)),
                review_on=date(2026, 1, 1) + timedelta(days=rng.randint(0, 700)),
                created_at=moment,
                updated_at=moment,
            )
            db.session.add(article)
            db.session.flush()
            index_article(db.session, article)


def _run_query(query: str) -> int:
    tag = None
    if query.startswith("#"):
        tag, _, query = query[1:].partition(" ")
    _page, total = find_articles(db.session, query=query, states={ArticleState.PUBLISHED}, tag=tag)
    db.session.rollback()  # as a request ends: nothing cached between runs but the database's own
    return total


def measure(kind: str, articles: int, runs: int, seed: int, pg_url: str) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-kb-{kind}-"))
    database = make_database(kind, workdir, pg_url)
    with app_context(database):
        began = time.perf_counter()
        load_articles(articles, seed)
        load_seconds = time.perf_counter() - began
        if kind == "postgresql":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        classes: dict[str, Any] = {}
        every: list[float] = []
        for name, queries in QUERIES.items():
            timings: list[float] = []
            matches = {}
            for query in queries:
                matches[query] = _run_query(query)  # warm-up
                for _ in range(runs):
                    began = time.perf_counter()
                    _run_query(query)
                    timings.append(time.perf_counter() - began)
            every += timings
            classes[name] = {**summary_ms(timings), "matches": matches}
    return {
        "backend": kind,
        "server": server_version(database),
        "articles": articles,
        "load_seconds": round(load_seconds, 1),
        "runs_per_query": runs,
        "all": summary_ms(every),
        "classes": classes,
    }


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "# Knowledge-base search",
        "",
        "`python -m bench.knowledge`: app.knowledge.queries.find_articles (index lookups, ranking, the page's",
        "50 articles loaded) over generated articles (90 % published; the topic words are far denser than in",
        f"real articles, so most terms match thousands), one process, warm. Target p99 < {TARGET_P99_MS:.0f} ms.",
        "",
    ]
    for result in results:
        overall = result["all"]
        lines += [
            f"## {result['backend']} ({result['server']}), {result['articles']:,} articles",
            "",
            f"All queries: p50 {overall['p50_ms']} ms, p99 {overall['p99_ms']} ms, max {overall['max_ms']} ms "
            f"({overall['n']} timed runs; loading took {result['load_seconds']} s).",
            "",
            "| query class | p50 ms | p99 ms | max ms | matches (published) |",
            "|---|---|---|---|---|",
        ]
        for name, row in result["classes"].items():
            matches = ", ".join(f"{query or '—'}: {count}" for query, count in row["matches"].items())
            lines.append(f"| {name} | {row['p50_ms']} | {row['p99_ms']} | {row['max_ms']} | {matches} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.knowledge", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1999)
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results = [measure(kind, args.articles, args.runs, args.seed, args.pg_url) for kind in kinds]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "knowledge.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", "utf-8")
    (RESULTS_DIR / "knowledge.md").write_text(markdown(results), "utf-8")
    print(markdown(results))


if __name__ == "__main__":
    main()
