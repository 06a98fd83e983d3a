"""Which article a question is about: character n-gram TF-IDF over the ways residents ask it.

Characters, not words: residents write 低包, 边沿户, 五保户 and half-sentences; n-grams of
characters survive that where a word tokenizer does not (1–2 characters did best on the held-out
questions, longer n-grams overweight whole phrases). Before that, `normalise` folds what only
looks different — homophone typos (地保→低保, 特因→特困), dialect (俺→我, 啥→什么, 咋整→怎么办) and
synonyms residents use for the same ask (闺女→女儿, 退休工资→养老金, 几号→什么时候) — on both sides,
the articles and the question, so one spelling is enough in the articles.

An article's score is half the best cosine similarity of one of its questions (or its title) and half
the similarity to the whole article (title, questions and answer together): the first rewards a close
paraphrase, the second a question that uses the answer's own words. On the held-out questions this mix
beat either alone (tests/policies/test_search.py prints the accuracy).

A follow-up ("那要带啥材料", "那农村的呢") names no topic; the caller passes the previous topic as
`context` (an article id, or topic words) and the question is also scored with that topic's words added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.knowledge.policies import Article

# Folded in this order (longer spellings first where one contains another). The right-hand side is
# the spelling the articles use, so a question in any of the left-hand forms meets them.
_SPELLINGS: Tuple[Tuple[str, str], ...] = (
    # homophone and typing slips of the programme names
    (r"低包|地保|底保|低宝|抵保|低饱|滴保|低堡", "低保"),
    (r"特因|特昆|特捆|特坤|特囷", "特困"),
    (r"边沿|边援", "边缘"),
    (r"临识|零时|临是", "临时"),
    # dialect and colloquial words
    (r"咋整|咋弄|咋办|怎么整|怎么弄|咋个办|咋搞|怎么搞|该咋|该怎么", "怎么办"),
    (r"俺们|咱们|俺家|咱家|俺|咱|偶", "我"),
    (r"啥子|啥", "什么"),
    (r"咋", "怎么"),
    (r"闺女|姑娘", "女儿"),
    (r"娃娃|娃|小孩子|小孩", "孩子"),
    (r"儿女|子女们|孩子们", "子女"),
    (r"老头子|老太婆|老伴儿|老伴", "配偶"),
    (r"户口", "户籍"),
    (r"退休工资|退休金|养老钱|退休费", "养老金"),
    (r"找着活|找到活|找到工作|有了工作|有工作了|上班了|去上班|上班", "就业"),
    (r"不给批|没给批|没批下来|没批|不批", "没审批"),
    (r"批下来|批准|批了|给批|审批", "审批"),
    (r"家庭人口|家里人口|家里的人口", "家庭成员"),
    (r"多长时间|多少天|多少日子|几天|多久", "多久"),
    (r"啥时候|什么时间|哪一天|哪天|几号", "什么时候"),
    (r"哪儿|哪块|什么地方", "哪里"),
    (r"给多少|发多少|能拿多少|拿多少|领多少", "领多少"),
    (r"够不够|够不上|够得上|符合不符合|符不符合", "符合"),
)
_FOLDS = tuple((re.compile(pattern), to) for pattern, to in _SPELLINGS)

# Words that say "I am asking" rather than what about; they would make every question look alike.
# The sentence-final 不/没/么 of "算收入不" is a question mark in the north, not a negation.
_FILLER = re.compile(
    r"请问|你好|您好|我想问一下|我想问|想咨询|咨询一下|问一下|想知道|一下|那个|就是|"
    r"(?:不|没|么|没有|嘛|哈|咧|呗|哩|啦|哇)(?=\s*(?:[？?。，,！!]|$))|"
    r"呢|吗|啊|呀|吧|？|\?|。|，|,|！|!"
)
# What a resident asks about, whatever words they use for it: a question that uses any of the words
# on the right also carries the concept's name on the left, so "要拿身份证吗" meets the article on
# 材料 and "有辆面包车" the one on 财产. Applied to the articles too, so they need not list every word.
_CONCEPTS: Tuple[Tuple[str, str], ...] = (
    ("材料", r"材料|证件|证明|身份证|户籍簿|户籍本|户口本|资料|带什么|拿什么|准备什么|交什么"),
    ("财产", r"财产|存款|存钱|积蓄|房子|房产|住房|几套房|车子|汽车|面包车|轿车|车辆|有车|保险|股票|理财"),
    ("家庭成员", r"家庭成员|家里人|家庭人口|人口|几口人|一家人|算一家|共同生活|分户|嫁出去|上大学|服刑|坐牢"),
    ("收入", r"收入|挣的|赚的|工资|养老金|赡养费|生活费|给的钱|给我钱|奖金|奖学金|抚恤|补贴"),
    ("审批多久", r"多久|审批|有结果|公示|等多久|上门调查|来家里|入户|哪个月开始"),
    ("复核", r"复核|复查|核查|再查|还查|查一次|重新审|定期|一直吃|一直有"),
    ("不服", r"不服|申诉|复议|告民政|去哪告|起诉|诉讼|投诉|举报|不公平|有异议|没审批"),
    ("户籍地", r"户籍|外地|本地|居住证|常住|经常居住|人户分离|老家"),
    ("赡养人", r"赡养|抚养|扶养|义务人|儿子|女儿|子女|没人养|没人管|不管我|不孝"),
    ("就业", r"就业|打工|工作"),
    ("多少钱", r"领多少|多少钱|标准多少|一个月多少"),
)
_CONCEPT_PATTERNS = tuple((name, re.compile(words)) for name, words in _CONCEPTS)
_CONCEPT_INDEX = {name: i for i, (name, _) in enumerate(_CONCEPTS)}
_FOLLOW_UP_LEAD = re.compile(r"^\s*(?:那么|那|还有|另外|再问|还想问)")

# The programmes an article is about, as its title names them (longest first: 低保边缘 is not 低保).
# A follow-up carries only these over from the previous article, so "那要带啥材料" after 低保怎么申请
# looks for 低保 materials, not for the previous article again.
TOPICS = (
    "低保边缘",
    "刚性支出",
    "低收入人口",
    "防止返贫",
    "特困",
    "低保",
    "临时救助",
    "医疗救助",
    "教育救助",
    "住房救助",
    "就业救助",
    "受灾",
    "流浪乞讨",
    "残疾",
)
_TOPIC = re.compile("|".join(TOPICS))


def normalise(text: str) -> str:
    text = text.lower()
    for pattern, to in _FOLDS:
        text = pattern.sub(to, text)
    return " ".join(_FILLER.sub(" ", text).split())


def concepts(text: str) -> List[str]:
    """The concepts a normalised text asks about."""
    return [name for name, pattern in _CONCEPT_PATTERNS if pattern.search(text)]


@dataclass(frozen=True)
class Match:
    article: Article
    score: float  # cosine similarity, 0–1


WHOLE_ARTICLE_WEIGHT = 0.7
# Added for the concepts a question asks about, times how much of the article is about them.
CONCEPT_WEIGHT = 0.1
# How much of a follow-up's score comes from the question read with its context's topic words.
CONTEXT_WEIGHT = 0.5
# Added to the previous article's score: a follow-up that asks nothing new ("那农村的呢") stays on it,
# one that asks something else ("多久能批下来") moves on. Both chosen on tests/policies/heldout.yaml.
STAY_BONUS = 0.1
# An article about another programme than the one the question names keeps this share of its score:
# "特困一个月给多少" and "低保一个月给多少" differ in that word only, and it decides.
TOPIC_MISMATCH = 0.75


class ArticleIndex:
    def __init__(self, articles: Sequence[Article]) -> None:
        self._articles = list(articles)
        self._by_id: Dict[str, Article] = {a.id: a for a in self._articles}
        owner: List[int] = []
        questions: List[str] = []
        for i, article in enumerate(self._articles):
            for text in (article.title, *article.questions):
                questions.append(normalise(text))
                owner.append(i)
        whole = [normalise(" ".join((a.title, *a.questions, a.answer))) for a in self._articles]
        self._owner = np.array(owner)
        self._topics = [set(_TOPIC.findall(a.title)) for a in self._articles]
        # How much each article is about each concept: the share of its title and questions naming it.
        self._concepts = np.zeros((len(self._articles), len(_CONCEPTS)))
        for i, text in zip(owner, questions, strict=True):
            for name in concepts(text):
                self._concepts[i, _CONCEPT_INDEX[name]] += 1
        self._concepts /= np.bincount(owner, minlength=len(self._articles))[:, None]
        self._vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
        self._vectorizer.fit(questions + whole)
        self._questions = self._vectorizer.transform(questions)
        self._whole = self._vectorizer.transform(whole)

    def _scores(self, text: str) -> Optional[np.ndarray]:
        text = normalise(text)
        query = self._vectorizer.transform([text])
        if query.nnz == 0:
            return None
        by_question = (self._questions @ query.T).toarray().ravel()
        best = np.zeros(len(self._articles))
        np.maximum.at(best, self._owner, by_question)
        scores = (1 - WHOLE_ARTICLE_WEIGHT) * best + WHOLE_ARTICLE_WEIGHT * (self._whole @ query.T).toarray().ravel()
        asked = [_CONCEPT_INDEX[name] for name in concepts(text)]
        if asked:
            scores += CONCEPT_WEIGHT * self._concepts[:, asked].mean(axis=1)
        return scores

    def topic_words(self, context: str) -> str:
        """An article id stands for the programmes its title names (its title if none); anything else
        is taken as topic words."""
        article = self._by_id.get(context.strip())
        if article is None:
            return context
        return " ".join(dict.fromkeys(_TOPIC.findall(article.title))) or article.title

    def search(self, text: str, limit: int = 3, context: Optional[str] = None) -> List[Match]:
        """The best `limit` articles for `text`, best first. `context` (the previous article id, or
        topic words such as "低保") lets a follow-up that names no topic find the right article."""
        scores = self._scores(_FOLLOW_UP_LEAD.sub("", text))
        context = (context or "").strip()
        if context:
            with_context = self._scores(f"{self.topic_words(context)} {text}")
            if with_context is not None:
                scores = (
                    with_context if scores is None else (1 - CONTEXT_WEIGHT) * scores + CONTEXT_WEIGHT * with_context
                )
        if scores is None:
            return []
        named = set(_TOPIC.findall(normalise(text))) or set(_TOPIC.findall(self.topic_words(context)))
        for i, topics in enumerate(self._topics):
            if named and topics and not named & topics:
                scores[i] *= TOPIC_MISMATCH
        if context in self._by_id:
            scores[self._articles.index(self._by_id[context])] += STAY_BONUS
        ranked = np.argsort(-scores)[:limit]
        return [Match(self._articles[i], float(scores[i])) for i in ranked if scores[i] > 0]
