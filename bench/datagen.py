"""Deterministic, realistic 1999 cases: request bodies for the intake benchmark and table rows for bulk loading."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from app.cases.search import search_text
from app.cases.textgrams import short_grams
from app.reference.files import load_entries
from bench.database import TZ, CategoryRef, DistrictRef, Reference
from config.settings import REFERENCE_DIR

SEED = 1999

# Road names, most common first: Kaohsiung's arterials appear far more often than side roads.
ROADS = (
    "中山路",
    "中正路",
    "光復路",
    "自由路",
    "民族路",
    "建國路",
    "九如路",
    "博愛路",
    "大順路",
    "五福路",
    "青年路",
    "四維路",
    "成功路",
    "民權路",
    "河堤路",
    "澄清路",
    "鳳頂路",
    "林森路",
    "三多路",
    "一心路",
    "七賢路",
    "明誠路",
    "文化路",
    "建軍路",
    "中華路",
    "大中路",
    "翠華路",
    "左營大路",
    "高鐵路",
    "仁武路",
)
ROAD_CUM_WEIGHTS = tuple(accumulate(1.0 / (rank + 2) for rank in range(len(ROADS))))
SECTIONS = ("", "", "一段", "二段", "三段")
LANDMARKS = ("捷運站出口", "國小旁", "傳統市場", "公園旁", "加油站前", "便利商店前", "停車場入口", "里民活動中心")

FRAGMENTS: dict[str, tuple[str, ...]] = {
    "fallen_tree": (
        "路樹倒塌擋住車道",
        "路樹傾倒壓到路邊機車",
        "行道樹倒在路中央",
        "樹枝斷裂掉落人行道",
        "大樹傾斜快要倒下",
    ),
    "pothole": (
        "路面坑洞很深機車差點摔倒",
        "柏油路面破損凹陷",
        "人孔蓋鬆動車輛經過很大聲",
        "人孔蓋下陷形成坑洞",
        "路面有大坑洞",
    ),
    "street_light": ("路燈不亮已三天", "路燈閃爍不停", "整排路燈都不亮晚上很暗", "路燈白天一直亮著"),
    "road_flooding": ("水溝阻塞積水", "大雨後路面積水及膝", "地下道嚴重積水車輛無法通行", "路口積水一直沒有退"),
    "traffic_signal": ("紅綠燈故障號誌全暗", "號誌燈一直閃黃燈", "行人號誌不亮"),
    "traffic_incident": ("汽機車擦撞占用車道", "大貨車翻覆路口回堵", "車禍現場路面有油漬"),
    "illegal_parking": ("機車違規停放騎樓", "汽車並排停車擋住出入口", "紅線上長期停放車輛", "騎樓被機車占滿無法通行"),
    "noise": ("工地清晨施工噪音", "樓下卡拉OK深夜擾鄰", "改裝車深夜競速噪音很大"),
    "environmental_sanitation": ("空地堆置垃圾發出惡臭", "路邊有人亂丟垃圾", "垃圾車沒有準時來"),
    "air_pollution": ("工廠排放黑煙", "露天燃燒稻草濃煙瀰漫"),
    "road_excavation": ("道路挖掘後回填不平", "管線施工未恢復路面"),
    "sidewalk": ("人行道地磚破損", "人行道被攤販占用"),
    "park_facilities": ("公園溜滑梯損壞", "公園廁所髒亂"),
    "drain_dredging": ("水溝阻塞發出臭味", "側溝淤泥堆積需要清疏", "水溝蓋破損"),
    "tree_trimming": ("行道樹枝葉過長遮住路燈", "樹枝擋住號誌請修剪"),
    "stray_animals": ("流浪狗成群追車", "住家附近有流浪貓受傷"),
    "illegal_construction": ("頂樓違建施工中", "騎樓違章加蓋"),
    "signal_timing": ("路口綠燈秒數太短", "左轉號誌時間不足"),
    "bus_service": ("公車過站不停", "公車誤點超過半小時"),
    "mrt_service": ("捷運站電梯故障", "輕軌班距太長"),
    "supervision_public_works": ("工地圍籬倒塌", "施工圍籬占用車道"),
    "supervision_water": ("抽水站施工污泥外流", "滯洪池工地積水"),
    "supervision_tourism": ("風景區步道施工未設警示",),
    "supervision_general": ("工地未設置安全警示", "施工車輛帶泥上路"),
    "general_inquiry": ("詢問垃圾車時間", "詢問身分證換發地點", "詢問市府上班時間"),
    "legal_consultation": ("詢問法律諮詢時段", "詢問租屋糾紛如何處理"),
    "policy_inquiry": ("詢問育兒津貼申請資格", "詢問敬老卡使用方式"),
}
GENERIC = ("希望市府改善", "請相關單位協助處理", "已經反映多次仍未改善", "詢問申請進度")
OPENERS = ("", "", "民眾來電反映", "市民表示", "里長反映", "民眾透過APP通報")
TIMES = ("", "", "從昨晚開始", "今天早上發現", "已經一個禮拜", "大約半小時前")
ASKS = ("", "請盡速派員處理", "請儘快改善", "希望有人來看看", "以免發生危險")
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
TITLES = ("先生", "小姐", "太太")
# Rare matters, for "rare term" searches: about 1 case in 10,000 and 1 in 20,000.
RARE_FRAGMENT = "消防栓漏水"
RARE_FRAGMENT_RATE = 1 / 10_000
RARE_GRAM_FRAGMENT = "獼猴出沒翻垃圾"
RARE_GRAM_RATE = 1 / 20_000

CASE_TYPE_WEIGHTS = {"petition": 45, "dispatch": 25, "consultation": 25, "supervision": 1, "other": 4}
CHANNEL_WEIGHTS = {"phone": 80, "web": 8, "app": 5, "counter": 3, "letter": 1, "fax": 1, "chatbot": 2}
CHANNELS = tuple(CHANNEL_WEIGHTS)
CHANNEL_CUM_WEIGHTS = tuple(accumulate(CHANNEL_WEIGHTS.values()))
DISPATCH_WEIGHTS = {
    "pothole": 25,
    "fallen_tree": 15,
    "street_light": 30,
    "road_flooding": 15,
    "traffic_signal": 10,
    "traffic_incident": 5,
}


def mobile_digits(rng: random.Random) -> str:
    """A valid Taiwanese mobile number, national form without separators (09xxxxxxxx)."""
    return f"09{rng.randint(10, 89)}{rng.randint(0, 999_999):06d}"


def written_forms(digits: str) -> tuple[str, ...]:
    """The ways callers and agents write the same mobile number."""
    return (
        f"{digits[:4]}-{digits[4:7]}-{digits[7:]}",
        f"+886 {digits[1:4]} {digits[4:7]} {digits[7:]}",
        digits,
        f"{digits[:4]} {digits[4:7]} {digits[7:]}",
        f"+886-{digits[1:]}",
        f"({digits[:4]}){digits[4:]}",
    )


def e164(digits: str) -> str:
    return "+886" + digits[1:]


def landline_digits(rng: random.Random) -> str:
    """A Kaohsiung fixed line, 07 and seven digits."""
    return f"07{rng.randint(2, 8)}{rng.randint(0, 999_999):06d}"


class TextComposer:
    """Chinese descriptions and addresses composed from fragments."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def road(self) -> str:
        return self.rng.choices(ROADS, cum_weights=ROAD_CUM_WEIGHTS)[0]

    def address(self, district_zh: str | None) -> str:
        rng = self.rng
        lane = f"{rng.randint(1, 300)}巷" if rng.random() < 0.2 else ""
        return f"{district_zh or ''}{self.road()}{rng.choice(SECTIONS)}{lane}{rng.randint(1, 400)}號"

    def place(self) -> str:
        rng = self.rng
        pick = rng.random()
        if pick < 0.4:
            return f"{self.road()}與{self.road()}口"
        if pick < 0.7:
            return f"{self.road()}{rng.randint(1, 400)}號前"
        return f"{self.road()}{rng.choice(LANDMARKS)}"

    def description(self, category_code: str, located: bool) -> str:
        return "，".join(self.description_parts(category_code, located)) + "。"

    def description_parts(self, category_code: str, located: bool) -> list[str]:
        """The description's clauses; joined with '，' and ended with '。' they make the description."""
        rng = self.rng
        fragments = FRAGMENTS.get(category_code, GENERIC)
        parts = [rng.choice(OPENERS)]
        if located or rng.random() < 0.3:
            parts.append(self.place())
        parts.append(rng.choice(fragments))
        if rng.random() < 0.2:
            parts.append(rng.choice(fragments))
        if rng.random() < RARE_FRAGMENT_RATE:
            parts.append(RARE_FRAGMENT)
        if rng.random() < RARE_GRAM_RATE:
            parts.append(RARE_GRAM_FRAGMENT)
        parts.append(rng.choice(TIMES))
        parts.append(rng.choice(ASKS))
        return [part for part in parts if part]

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(TITLES)


# --- Intake: JSON bodies for POST /api/v1/cases -------------------------------------------


@dataclass(frozen=True)
class _YamlCategory:
    code: str
    case_type: str


def intake_bodies(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """Varied request bodies: dispatch and petition categories, districts, phones in mixed written forms."""
    rng = random.Random(seed)
    compose = TextComposer(rng)
    categories = [
        _YamlCategory(entry["code"], entry["case_type"])
        for entry in load_entries(REFERENCE_DIR / "categories.yaml", "categories")
        if entry["case_type"] in ("dispatch", "petition")
    ]
    dispatch = [c for c in categories if c.case_type == "dispatch"]
    petition = [c for c in categories if c.case_type == "petition"]
    districts = [
        (entry["code"], entry["name_zh"]) for entry in load_entries(REFERENCE_DIR / "districts.yaml", "districts")
    ]
    callers = [mobile_digits(rng) for _ in range(max(10, count // 3))]
    bodies = []
    for _ in range(count):
        is_dispatch = rng.random() < 0.45
        category = rng.choice(dispatch) if is_dispatch else rng.choice(petition)
        district_code, district_zh = rng.choice(districts)
        body: dict[str, Any] = {
            "channel": rng.choices(("phone", "app", "web", "counter"), (85, 7, 6, 2))[0],
            "category": category.code,
            "description": compose.description(category.code, located=is_dispatch),
        }
        if is_dispatch or rng.random() < 0.8:
            body["district"] = district_code
            body["address"] = compose.address(district_zh)
        if is_dispatch and rng.random() < 0.3:
            body["latitude"] = round(22.62 + rng.uniform(-0.1, 0.1), 6)
            body["longitude"] = round(120.31 + rng.uniform(-0.1, 0.1), 6)
        who = rng.random()
        if who < 0.1:
            body["anonymous"] = True
        elif who < 0.85:
            body["reporter_name"] = compose.name()
            body["reporter_phone"] = rng.choice(written_forms(rng.choice(callers)))
            body["wants_sms_reply"] = rng.random() < 0.5
        else:
            body["reporter_name"] = compose.name()
            digits = landline_digits(rng)
            landline_forms = (f"({digits[:2]}){digits[2:5]}-{digits[5:]}", f"{digits[:2]}-{digits[2:]}")
            body["reporter_phone"] = rng.choice(landline_forms)
        bodies.append(body)
    return bodies


# --- Bulk rows for the cases table ---------------------------------------------------------

CASE_COLUMNS = (
    "id",
    "case_no",
    "case_type",
    "channel",
    "status",
    "category_id",
    "district_id",
    "agency_id",
    "address",
    "latitude",
    "longitude",
    "description",
    "reporter_name",
    "reporter_phone",
    "anonymous",
    "wants_sms_reply",
    "resolution",
    "report_text",
    "parent_case_id",
    "created_by_id",
    "received_at",
    "created_at",
    "updated_at",
    "assigned_at",
    "acknowledged_at",
    "reported_at",
    "closed_at",
    "reopened_at",
    "merged_at",
    "cancelled_at",
    "version",
    "search_text",
)
TIME_COLUMNS = frozenset(name for name in CASE_COLUMNS if name.endswith("_at"))


@dataclass(frozen=True)
class GeneratedCase:
    row: tuple[Any, ...]  # in CASE_COLUMNS order; times are aware UTC datetimes
    grams: list[str]  # textgrams.short_grams(description + " " + address), as app.cases.search.index_case writes


@dataclass(frozen=True)
class Sample:
    """Values known to be in the generated data, for searches that must find something."""

    case_nos: list[str]
    phones: list[str]  # national digits, e.g. 0912345678


class CaseGenerator:
    """`count` cases, oldest first, spread evenly over the year before `end`; ids 1..count."""

    def __init__(self, reference: Reference, *, count: int, agent_id: int, end: datetime, seed: int = SEED) -> None:
        self.reference = reference
        self.count = count
        self.agent_id = agent_id
        self.end = end
        self.start = end - timedelta(days=365)
        self.rng = random.Random(seed)
        self.compose = TextComposer(self.rng)
        by_type: dict[str, list[CategoryRef]] = {}
        for category in reference.categories:
            by_type.setdefault(category.case_type, []).append(category)
        self.by_type = by_type
        dispatch = by_type.get("dispatch", [])
        self.dispatch_cum_weights = list(accumulate(DISPATCH_WEIGHTS.get(c.code, 1) for c in dispatch))
        self.type_names = [name for name in CASE_TYPE_WEIGHTS if name in by_type]
        self.type_cum_weights = list(accumulate(CASE_TYPE_WEIGHTS[name] for name in self.type_names))
        # Repeat callers: a pool about a third the size of the case count.
        self.callers = [mobile_digits(self.rng) for _ in range(max(10, count // 3))]
        self.sample = Sample(case_nos=[], phones=[])
        self.last_seq: dict[str, int] = {}
        self.gram_cache: dict[str, list[str]] = {}

    def _category(self) -> CategoryRef:
        case_type = self.rng.choices(self.type_names, cum_weights=self.type_cum_weights)[0]
        if case_type == "dispatch":
            return self.rng.choices(self.by_type["dispatch"], cum_weights=self.dispatch_cum_weights)[0]
        return self.rng.choice(self.by_type[case_type])

    def _lifecycle(self, created: datetime, routed: bool, case_type: str) -> dict[str, Any]:
        """Status and its timestamps: old cases are mostly closed, recent ones still open."""
        rng = self.rng
        age = self.end - created
        times: dict[str, Any] = {"updated_at": created, "version": 1}
        if case_type == "consultation":
            times.update(status="closed", closed_at=created, resolution="已於線上答覆")
            return times
        if not routed:
            times["status"] = "new" if age < timedelta(days=2) else "closed"
            if times["status"] == "closed":
                times["closed_at"] = created + timedelta(hours=rng.uniform(1, 48))
                times["resolution"] = "已轉請相關單位處理"
            return times
        times["assigned_at"] = created
        pick = rng.random()
        done = min(1.0, age / timedelta(days=6))  # share of cases finished, by age
        if pick < 0.02:
            status = "cancelled"
        elif pick < 0.05:
            status = "merged"
        elif pick < 0.05 + 0.93 * done:
            status = "closed"
        else:
            status = rng.choice(("assigned", "acknowledged", "reported"))
        step = created
        version = 1
        if status in ("acknowledged", "reported", "closed"):
            step = step + timedelta(minutes=rng.uniform(2, 90))
            times["acknowledged_at"] = step
            version += 1
        if status in ("reported", "closed"):
            step = step + timedelta(hours=rng.uniform(1, 20))
            times["reported_at"] = step
            times["report_text"] = "已派員現場處理完畢"
            version += 1
        if status == "closed":
            step = step + timedelta(hours=rng.uniform(1, 30))
            times["closed_at"] = step
            times["resolution"] = "機關已處理完成，結案"
            version += 1
        if status == "cancelled":
            step = step + timedelta(minutes=rng.uniform(5, 600))
            times["cancelled_at"] = step
            version += 1
        if status == "merged":
            step = step + timedelta(minutes=rng.uniform(5, 300))
            times["merged_at"] = step
            version += 1
        times["status"] = status
        times["updated_at"] = min(step, self.end)
        times["version"] = version
        return times

    def __iter__(self) -> Iterator[GeneratedCase]:
        rng = self.rng
        reference = self.reference
        span = (self.end - self.start).total_seconds()
        districts = reference.districts
        sample_every = max(1, self.count // 200)
        for index in range(self.count):
            case_id = index + 1
            received = self.start + timedelta(seconds=span * (index + rng.random()) / self.count)
            created = received + timedelta(seconds=rng.uniform(20, 300))
            category = self._category()
            case_type = category.case_type
            located = case_type in ("dispatch", "supervision")
            district: DistrictRef | None = rng.choice(districts) if located or rng.random() < 0.7 else None
            routed = case_type in ("petition", "dispatch", "supervision")
            agency_id = reference.agency_for(category, district) if routed else None
            address = self.compose.address(district.name_zh) if district and rng.random() < 0.9 else None
            parts = self.compose.description_parts(category.code, located)
            description = "，".join(parts) + "。"
            who = rng.random()
            anonymous = who < 0.08
            phone_digits = None
            if who >= 0.08:
                phone_digits = rng.choice(self.callers) if who < 0.85 else landline_digits(rng)
            day = created.astimezone(TZ).date()
            day_key = f"{day.year - 1911}{day.month:02d}{day.day:02d}"
            seq = self.last_seq.get(day_key, 0) + 1
            self.last_seq[day_key] = seq
            case_no = f"{day_key}-{seq:04d}"
            life = self._lifecycle(created, agency_id is not None, case_type)
            merged = life["status"] == "merged" and case_id > 1
            latitude = longitude = None
            if located and rng.random() < 0.4:
                latitude = round(22.62 + rng.uniform(-0.15, 0.15), 6)
                longitude = round(120.31 + rng.uniform(-0.15, 0.15), 6)
            text = search_text(description, address)  # as intake writes it (app.cases.search)
            row = (
                case_id,
                case_no,
                case_type,
                rng.choices(CHANNELS, cum_weights=CHANNEL_CUM_WEIGHTS)[0],
                life["status"],
                category.id,
                district.id if district else None,
                agency_id,
                address,
                latitude,
                longitude,
                description,
                None if anonymous else self.compose.name(),
                e164(phone_digits) if phone_digits else None,
                anonymous,
                bool(phone_digits and phone_digits.startswith("09") and rng.random() < 0.4),
                life.get("resolution"),
                life.get("report_text"),
                max(1, case_id - rng.randint(1, 50)) if merged else None,
                self.agent_id,
                received,
                created,
                life["updated_at"],
                life.get("assigned_at"),
                life.get("acknowledged_at"),
                life.get("reported_at"),
                life.get("closed_at"),
                None,
                life.get("merged_at"),
                life.get("cancelled_at"),
                life["version"],
                text,
            )
            if index % sample_every == 0:
                self.sample.case_nos.append(case_no)
                if phone_digits and phone_digits.startswith("09"):
                    self.sample.phones.append(phone_digits)
            grams = self._grams(parts, address)
            if index % 997 == 0:  # the shortcut must give exactly what index_case would write
                assert grams == short_grams(text), description
            yield GeneratedCase(row=row, grams=grams)

    def _grams(self, parts: list[str], address: str | None) -> list[str]:
        """short_grams(description + " " + address), from cached grams of each clause.

        Clauses are separated by punctuation and the address by a space, and grams never span
        those, so the union of the clauses' grams in order is exactly the whole text's grams.
        """
        chained: list[str] = []
        for part in parts:
            grams = self.gram_cache.get(part)
            if grams is None:
                grams = self.gram_cache[part] = short_grams(part)
            chained.extend(grams)
        if address:
            chained.extend(short_grams(address))
        return list(dict.fromkeys(chained))

    def counters(self) -> list[tuple[str, int]]:
        """The case-number counters the generated cases used, as (ISO day, last sequence)."""
        result = []
        for key, seq in self.last_seq.items():
            year, month, day = int(key[:-4]) + 1911, int(key[-4:-2]), int(key[-2:])
            result.append((f"{year:04d}-{month:02d}-{day:02d}", seq))
        return result


def default_end() -> datetime:
    """Midnight UTC of today: the generated year ends before any case the benchmark itself records."""
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)
