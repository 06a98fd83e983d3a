"""What a pre-screen knows about a household (ELIGIBILITY.md §1). Every field may be unknown (None);
unknown is never read as zero."""

from __future__ import annotations

import datetime as dt
import enum
from typing import List, Optional

from pydantic import BaseModel, Field, condecimal, conint, root_validator, validator

Money = condecimal(ge=0, max_digits=14, decimal_places=2)


class Area(str, enum.Enum):
    urban = "urban"  # 城市
    rural = "rural"  # 农村


class DisabilityKind(str, enum.Enum):
    physical = "physical"  # 肢体
    visual = "visual"  # 视力
    hearing = "hearing"  # 听力
    speech = "speech"  # 言语
    intellectual = "intellectual"  # 智力
    mental = "mental"  # 精神
    multiple = "multiple"  # 多重


class Employment(str, enum.Enum):
    employed = "employed"
    unemployed = "unemployed"  # able to work, without work
    unable = "unable"  # cannot work


class SelfCare(str, enum.Enum):
    full = "full"  # 全自理
    partial = "partial"  # 部分失能
    none = "none"  # 完全失能


class EducationStage(str, enum.Enum):
    none = "none"
    preschool = "preschool"
    compulsory = "compulsory"  # 小学、初中
    senior = "senior"  # 高中、中职
    higher = "higher"  # 大专、本科


class Status(str, enum.Enum):
    none = "none"
    dibao = "dibao"
    tekun = "tekun"
    near_dibao = "near_dibao"
    rigid_expense = "rigid_expense"
    relapse_monitoring = "relapse_monitoring"


class EmergencyKind(str, enum.Enum):
    fire = "fire"
    traffic_accident = "traffic_accident"
    sudden_illness = "sudden_illness"
    disaster = "disaster"
    epidemic = "epidemic"
    job_loss = "job_loss"
    education_expense = "education_expense"
    medical_expense = "medical_expense"
    homeless = "homeless"
    other = "other"


class Member(BaseModel):
    age: Optional[conint(ge=0, le=130)] = None
    has_disability: Optional[bool] = None
    disability_kind: Optional[DisabilityKind] = None
    disability_grade: Optional[conint(ge=1, le=4)] = None
    serious_illness: Optional[bool] = None
    education: Optional[EducationStage] = None
    employment: Optional[Employment] = None
    self_care: Optional[SelfCare] = None
    monthly_income: Optional[Money] = None  # the member's own income, for 特困
    has_supporter: Optional[bool] = None  # 赡养/抚养/扶养义务人
    supporter_able: Optional[bool] = None

    class Config:
        extra = "forbid"

    @root_validator(skip_on_failure=True)
    def _disability_consistent(cls, values):
        if values.get("has_disability") is False and (
            values.get("disability_kind") is not None or values.get("disability_grade") is not None
        ):
            raise ValueError("has_disability is false but a disability kind or grade is given")
        if values.get("disability_kind") is not None or values.get("disability_grade") is not None:
            values["has_disability"] = True
        return values


class Emergency(BaseModel):
    kind: Optional[EmergencyKind] = None
    happened_on: Optional[dt.date] = None
    place: Optional[str] = Field(default=None, max_length=200)
    is_local: Optional[bool] = None  # 户籍或居住证在当地: never blocks 临时救助
    threat_to_life: Optional[bool] = None
    months_without_income: Optional[conint(ge=0, le=600)] = None
    has_unemployment_insurance: Optional[bool] = None

    class Config:
        extra = "forbid"


class Household(BaseModel):
    region: str = Field(..., min_length=2, max_length=12, description="region code, e.g. 220000 or CN")
    area: Optional[Area] = None
    size: Optional[conint(ge=1, le=30)] = None
    members: List[Member] = Field(default_factory=list, max_items=30)
    monthly_income: Optional[Money] = None  # household, after the exclusions of §2
    assets_within_limit: Optional[bool] = None
    rigid_expense_12m: Optional[Money] = None
    income_12m: Optional[Money] = None
    status: Optional[Status] = None
    emergency: Optional[Emergency] = None
    # The place's 低保标准 for the household's area as the resident knows it (元/人·月); used instead of
    # the stored value, which for most places is a floor, an average or an old figure.
    local_standard: Optional[condecimal(gt=0, max_digits=8, decimal_places=2)] = None

    class Config:
        extra = "forbid"

    @validator("members")
    def _members_fit_size(cls, members, values):
        size = values.get("size")
        if size is not None and len(members) > size:
            raise ValueError(f"{len(members)} members described but the household size is {size}")
        return members
