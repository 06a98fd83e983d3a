"""Places named in a message: the most specific one, and where the person is now versus comes from.

A name counts only when it is named as a place. Many aliases are ordinary words (朝阳, 东方, 公安, 和平)
or shared by several divisions (吉林 province and city, 朝阳区 in 北京 and 长春): a bare alias that is a
common word counts only with its parent before it (长春朝阳, 海南东方) or its suffix (东方市); a county's
bare alias alone needs a cue that a place is meant (在天门, 农安那边, or a reply that is just the name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Set

from bot.places.tree import LEVELS, Place, ancestors, place, tree

# Aliases that are also everyday words: never a place on their own (ARCHITECTURE: false hits).
COMMON_WORDS = frozenset(
    """
    朝阳 东方 公安 合作 和平 比如 南部 解放 前进 港口 友好 通道 共和 城中 友谊 平安 中方 凤凰 安定 延长 光明
    新兴 运河 东风 红旗 南岸 城北 城南 城东 城西 会同 工农 大名 富裕 清水 高明 前锋 复兴 长子 清新 宏伟 平定
    芙蓉 向阳 三元 振兴 大同 大方 互助 新华 建平 莲花 平和 名山 白云 大堂 桃源 古田 建华 大观 建安 永和 二七
    台前 金山 方城 丰满 双桥 长安 长寿 太平 吉利 和顺 安康 永康 正定 新城 老城 江南 河口 江口 宁国 城关 中山
    东城 西城 南山 青山 铁山 天涯 南沙 西沙 中沙 沙市 当阳 大兴 永定 太和 温泉 石门 梁山 黄龙 石林 石柱 龙泉
    三门 白银 东港 西湖 北湖 南湖 东湖 城厢 民主 团结 红星 胜利 建设 安宁 永宁 永安 长乐 永乐 河东 河西 江北
    江东 鼓楼 中原 上街 新市 市北 市南 高新 雨花 安居 富民 惠民 利民 乐业 民乐 民权 二道 榆树 白山 长白 龙井
    临江 大安 万年 六合 四会 三河 三江 五河 武功 示范 开心 新区 东区 西区 南区 北区 中区 城区 郊区 矿区 市中
    上高 大通 通州 普通 文化 吉安 开发 华容 全州 宝山 海城 金川 平山 上城 下城 黄埔 海珠 天河 白沙 红岗 红山 青河
    """.split()
)
# Full names that are generic words too (阳泉 has a county called 城区): they need their parent.
GENERIC_FULL_NAMES = frozenset({"城区", "郊区", "矿区", "市辖区", "市中区", "东区", "西区", "新区", "高新区"})

_CUE_BEFORE = re.compile(r"(?:在|住|老家|来自|户口|户籍|是|到|去|回|从|家)$")
# 天门岳口镇, 农安合隆镇: a town, township or street named right after is a place cue too.
_CUE_AFTER = re.compile(
    r"^(?:人|的|那边|这边|这里|那里|那块|那嘎达|一带|打工|上班|干活|住|农村|乡下|城里|县城|市|"
    r"[\u4e00-\u9fff]{1,4}(?:镇|乡|街道|村|社区))"
)
_JOIN_GAP = re.compile(r"^[\s,，、省市县区]?$")

_HOME_BEFORE = re.compile(r"老家|户口|户籍|籍贯|原籍|祖籍|出生|生在|来自|原来在|以前在|本来是|从")
_HOME_AFTER = re.compile(r"^(?:人|户口|户籍|的户口|老家)")
_NOW_BEFORE = re.compile(r"现在|目前|如今|眼下|人在|住在|在|到了?|来了?|这边|租房|搬到")
_NOW_AFTER = re.compile(r"^(?:打工|上班|干活|住|租房|这边|待着|生活|看病|住院)")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    codes: tuple  # the places this name may mean
    bare: bool  # named without its suffix


@dataclass(frozen=True)
class PlaceNamed:
    place: Place
    start: int
    end: int
    role: str  # now | home | unmarked


@dataclass(frozen=True)
class Whereabouts:
    """Where the person is now and where they come from (户籍/老家), each None when not said."""

    now: Optional[Place]
    home: Optional[Place]

    @property
    def for_screening(self) -> Optional[Place]:
        """A pre-screen follows 户籍 (home) when stated, else where the person lives."""
        return self.home or self.now

    @property
    def for_emergency(self) -> Optional[Place]:
        """An emergency is handled where it happens: where the person is now."""
        return self.now or self.home


def _mentions(text: str) -> List[Mention]:
    names, longest = tree().names, tree().longest
    found: List[Mention] = []
    i = 0
    while i < len(text):
        for length in range(min(longest, len(text) - i), 1, -1):
            entries = names.get(text[i : i + length])
            if entries:
                found.append(Mention(i, i + length, tuple(c for c, _ in entries), all(b for _, b in entries)))
                i += length
                break
        else:
            i += 1
    return found


def _level(code: str) -> int:
    return LEVELS.index(place(code).level)


def _narrow(candidates: Set[str], mention: Mention) -> Optional[Set[str]]:
    """The candidates consistent with a further name in the same phrase (吉林 + 舒兰 → 舒兰市), or None."""
    below = {c for c in mention.codes if candidates & set(ancestors(c))}
    if below:
        return below
    above = {c for c in candidates if set(mention.codes) & set(ancestors(c))}
    return above or None


def _accepted(text: str, mention: Mention, name: str) -> bool:
    """A single name, with no parent before it: is it named as a place?"""
    if name in GENERIC_FULL_NAMES:
        return False
    if not mention.bare:
        return True
    if name in COMMON_WORDS:
        return False
    top = min(_level(c) for c in mention.codes)
    if LEVELS[top] != "county":
        return True
    before, after = text[: mention.start], text[mention.end :]
    short_reply = len(re.sub(r"[\s，,。.！!？?的啊呀吧哈嗯俺我咱在是]", "", text)) <= len(name) + 1
    return short_reply or bool(_CUE_BEFORE.search(before) or _CUE_AFTER.search(after))


def _role(text: str, start: int, end: int, previous_end: int) -> str:
    before = re.split(r"[，,。；;！!？?]", text[previous_end:start])[-1]
    after = text[end:]
    if _HOME_BEFORE.search(before) or _HOME_AFTER.search(after):
        return "home"
    if _NOW_BEFORE.search(before) or _NOW_AFTER.search(after):
        return "now"
    return "unmarked"


def places_named(text: str) -> List[PlaceNamed]:
    """Every place named in `text`, in order, each resolved to its most specific division."""
    mentions = _mentions(text)
    named: List[PlaceNamed] = []
    i = 0
    while i < len(mentions):
        first = mentions[i]
        candidates: Set[str] = set(first.codes)
        j = i + 1
        while j < len(mentions) and _JOIN_GAP.match(text[mentions[j - 1].end : mentions[j].start]):
            narrowed = _narrow(candidates, mentions[j])
            if narrowed is None:
                break
            candidates = narrowed
            j += 1
        last = mentions[j - 1]
        ok = j - i > 1 or _accepted(text, first, text[first.start : first.end])
        if ok:
            top = min(_level(c) for c in candidates)
            best = [c for c in candidates if _level(c) == top]
            if len(best) == 1:  # 朝阳区 alone is in 北京 and in 长春: not a place we can pin down
                previous_end = named[-1].end if named else 0
                role = _role(text, first.start, last.end, previous_end)
                named.append(PlaceNamed(place(best[0]), first.start, last.end, role))
        i = j
    return named


def whereabouts(text: str) -> Whereabouts:
    """Where the person is now and where they come from: 我老家河南周口的 现在在长春打工 → 长春, 周口."""
    named = places_named(text)
    home = next((p.place for p in named if p.role == "home"), None)
    now = next((p.place for p in named if p.role == "now"), None)
    if now is None:
        now = next((p.place for p in named if p.role == "unmarked"), None)
    return Whereabouts(now, home)


def find_place(text: str) -> Optional[Place]:
    """The most specific place named where the person is (or, if only that is said, comes from)."""
    return whereabouts(text).for_emergency
