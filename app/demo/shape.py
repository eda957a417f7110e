"""The shape of a year at the 1999 centre: volumes, mixes, daily rhythms and words. Pure data.

Figures from the customer's 2022 report (../shared/domain.md): 852,101 calls, 215,876 petitions,
99,781 dispatches; a third of calls consultations answered on the line. Mixes and rhythms are
plausible guesses where the report gives none, kept here so they can be tuned in one place.
"""

from __future__ import annotations

from datetime import date

CALLS_A_YEAR = 852_101
PETITIONS_A_YEAR = 215_876
DISPATCHES_A_YEAR = 99_781
SUPERVISION_A_YEAR = 50  # 全民督工: 21 reports in five months of 2023
CONSULTATION_SHARE = 0.3374  # of calls
# Questions written to the centre (web mailbox, app, letter) and recorded as consultation cases; the
# report has no figure for them: a guess. 99.97 % of consultations are answered on the spot.
CONSULTATION_CASES_A_YEAR = 12_000
ANSWERED_AT_ONCE = 0.9997
CONSULTATION_CASE_MIX = {"general_inquiry": 0.6, "policy_inquiry": 0.3, "legal_consultation": 0.1}
PHONE_SHARE_OF_CASES = 0.93  # the rest come by the web mailbox, the app, counter, letter, fax

# Calls that are not a new case and not a consultation, as shares of those calls. Progress inquiries
# and added reports are made with the case they are about (see app.demo.life).
OTHER_CALLS = {"transferred": 0.36, "hung_up": 0.42, "wrong_number": 0.18, "abusive": 0.04}
TRANSFER_TO = ("110", "119", "1955", "1957")

NON_PHONE_CHANNELS = {"web": 0.55, "app": 0.25, "counter": 0.1, "letter": 0.06, "fax": 0.04}

# Hour of day (Taipei) weights for calls and cases: quiet nights, a morning and an afternoon peak.
HOURLY = (
    0.9,
    0.6,
    0.4,
    0.3,
    0.3,
    0.5,
    1.2,
    2.6,
    4.8,
    6.8,
    7.2,
    6.9,
    4.9,
    5.2,
    6.6,
    6.8,
    6.4,
    5.8,
    4.6,
    4.0,
    3.6,
    3.0,
    2.2,
    1.4,
)
WEEKDAY = (1.18, 1.08, 1.04, 1.03, 1.0, 0.72, 0.62)  # Monday first
MONTHLY = (0.95, 0.86, 0.98, 0.98, 1.0, 1.05, 1.1, 1.08, 1.06, 1.0, 0.97, 0.97)  # Jan..Dec

DISPATCH_MIX = {
    "street_light": 0.36,
    "pothole": 0.3,
    "traffic_signal": 0.12,
    "fallen_tree": 0.08,
    "traffic_incident": 0.07,
    "road_flooding": 0.07,
}
PETITION_MIX = {
    "illegal_parking": 0.19,
    "noise": 0.1,
    "environmental_sanitation": 0.12,
    "air_pollution": 0.03,
    "road_excavation": 0.04,
    "sidewalk": 0.05,
    "park_facilities": 0.04,
    "drain_dredging": 0.05,
    "tree_trimming": 0.05,
    "stray_animals": 0.04,
    "illegal_construction": 0.03,
    "signal_timing": 0.03,
    "bus_service": 0.04,
    "mrt_service": 0.015,
    "social_welfare": 0.025,
    "taxation": 0.01,
    "consumer_dispute": 0.015,
    "education": 0.015,
    "health_medical": 0.015,
    "labor_dispute": 0.015,
    "markets_vendors": 0.02,
    "urban_planning": 0.01,
    "land_administration": 0.01,
    "civil_affairs": 0.02,
    "culture_arts": 0.005,
    "tourism_recreation": 0.01,
    "petition_other": 0.04,
}
SUPERVISION_MIX = {
    "supervision_public_works": 0.5,
    "supervision_water": 0.25,
    "supervision_tourism": 0.1,
    "supervision_general": 0.15,
}

# Residents in thousands (about 2022): where the calls come from.
DISTRICT_WEIGHT = {
    "fongshan": 359,
    "sanmin": 330,
    "zuoying": 198,
    "nanzi": 190,
    "qianzhen": 179,
    "lingya": 166,
    "siaogang": 153,
    "gushan": 140,
    "daliao": 108,
    "gangshan": 97,
    "renwu": 92,
    "linyuan": 69,
    "lujhu": 51,
    "sinsing": 48,
    "niaosong": 43,
    "dashu": 41,
    "ciaotou": 38,
    "meinong": 38,
    "qishan": 36,
    "dashe": 34,
    "ziguan": 36,
    "hunei": 30,
    "yanchao": 29,
    "alian": 28,
    "qieding": 29,
    "qianjin": 25,
    "cijin": 27,
    "yancheng": 22,
    "mituo": 19,
    "yongan": 14,
    "shanlin": 12,
    "neimen": 13,
    "liugui": 13,
    "tianliao": 7,
    "jiaxian": 6,
    "maolin": 2,
    "taoyuan": 4,
    "namasia": 3,
}

STREETS = (
    "中山路",
    "中正路",
    "民族路",
    "建國路",
    "自由路",
    "博愛路",
    "九如路",
    "青年路",
    "五福路",
    "三多路",
    "光華路",
    "文化路",
    "大順路",
    "明誠路",
    "鳳頂路",
    "澄清路",
    "民生路",
    "復興路",
    "成功路",
    "忠孝路",
    "仁愛路",
    "和平路",
    "河堤路",
    "光復路",
    "中華路",
    "大埤路",
    "公園路",
    "站前路",
    "育英路",
    "新生路",
)

# What callers say, per category: a few sentences to pick from.
WORDS: dict[str, tuple[str, ...]] = {
    "pothole": ("路面坑洞約一公尺寬，機車經過很危險", "柏油路面破損凹陷，請盡速修補", "人孔蓋周邊下陷，車輛閃避不及"),
    "fallen_tree": ("路樹傾倒橫躺車道，車輛無法通行", "大樹枝斷落壓住人行道", "行道樹倒在機車格上"),
    "street_light": ("路燈不亮已經三天，晚上很暗", "整排路燈閃爍不停", "路燈桿傾斜，燈具不亮"),
    "road_flooding": ("路面嚴重積水約三十公分，機車熄火", "地下道積水無法通行", "排水不及，整條路淹水"),
    "traffic_signal": ("路口紅綠燈全部不亮", "號誌故障一直閃黃燈", "行人號誌不會變綠燈"),
    "traffic_incident": ("路口發生多車追撞，有人受傷", "貨車翻覆散落物品佔用車道", "機車與汽車碰撞，交通阻塞"),
    "illegal_parking": ("車輛長期違規停放佔用騎樓", "紅線上每天都有車違停", "汽車停在公車站牌前"),
    "noise": ("半夜施工噪音很大無法睡覺", "附近工廠機器聲音吵雜", "鄰居夜間唱卡拉OK擾鄰"),
    "environmental_sanitation": ("空地堆放垃圾發出惡臭", "路邊有人亂丟大型廢棄物", "水溝旁垃圾堆積孳生蚊蟲"),
    "drain_dredging": ("水溝阻塞，下雨就淹水", "側溝淤泥很多有臭味", "排水溝蓋破損需要清淤"),
    "tree_trimming": ("路樹枝葉太茂密遮住路燈", "樹枝伸入住家陽台", "行道樹擋住號誌請修剪"),
    "stray_animals": ("流浪狗成群追車很危險", "公園有受傷的流浪貓", "野狗在校園附近出沒"),
    "bus_service": ("公車過站不停", "公車司機態度不佳", "公車班次誤點嚴重"),
}
GENERIC_WORDS = (
    "市民反映{name}相關問題，請權責機關處理",
    "關於{name}，民眾希望儘速改善",
    "{name}問題持續發生，請協助查處",
)

REPORT_OUTCOMES = {
    "done": 0.72,
    "scheduled": 0.12,
    "not_ours": 0.03,
    "needs_other_agency": 0.03,
    "cannot_find": 0.05,
    "other": 0.05,
}
REPORT_WORDS = {
    "done": "已派員處理完畢",
    "scheduled": "已排定施工，預計近日完成",
    "not_ours": "非本機關權責，請改分",
    "needs_other_agency": "需會同其他機關處理，已聯繫",
    "cannot_find": "現場查無此情形",
    "other": "已與陳情人說明",
}
CONSULTATION_ANSWERS = ("已說明申辦流程與所需文件", "已告知承辦單位電話", "已說明相關法規", "已告知開放時間與地點")

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = ("先生", "小姐", "太太", "伯伯", "同學")


def typhoon_days(first: date, last: date, *, count: int, pick: object) -> list[date]:
    """Days a typhoon hits, inside [first, last]: July to October when the range has them, else anywhere.

    `pick` is a random.Random (typed loosely to keep this module free of the generator's types).
    """
    days = [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
    season = [day for day in days if 7 <= day.month <= 10]
    pool = season if len(season) >= 30 * count else days
    if not pool:
        return []
    chosen: list[date] = []
    spread = max(1, len(pool) // count)
    for index in range(count):
        window = pool[index * spread : (index + 1) * spread] or pool
        chosen.append(window[pick.randrange(len(window))])  # type: ignore[attr-defined]
    return sorted(set(chosen))
