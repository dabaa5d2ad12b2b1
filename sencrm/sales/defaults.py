"""The default pipelines and scoring rules (a data migration loads them; administrators edit them).

Names are data in the company's language, not UI strings: they are edited, not translated.
"""

from __future__ import annotations

from typing import Any

# pipeline name -> [(stage name, probability, is_won, is_lost)]
PIPELINES: list[tuple[str, list[tuple[str, int, bool, bool]]]] = [
    (
        "Bán lẻ",
        [
            ("Mới", 10, False, False),
            ("Đã tư vấn", 25, False, False),
            ("Khảo sát & báo giá", 50, False, False),
            ("Đàm phán", 75, False, False),
            ("Thắng", 100, True, False),
            ("Thua", 0, False, True),
        ],
    ),
    (
        "Dự án",
        [
            ("Tiếp cận", 10, False, False),
            ("Khảo sát", 20, False, False),
            ("Gửi hồ sơ & báo giá", 40, False, False),
            ("Thương thảo hợp đồng", 70, False, False),
            ("Ký hợp đồng", 100, True, False),
            ("Thua", 0, False, True),
        ],
    ),
]

# (name, kind, value, points)
SCORING_RULES: list[tuple[str, str, str, int]] = [
    ("Được giới thiệu", "source", "referral", 20),
    ("Đến từ website", "source", "website", 10),
    ("Có số điện thoại", "field_present", "phone", 15),
    ("Có email", "field_present", "email", 5),
    ("Khách hàng doanh nghiệp", "field_present", "company", 10),
    ("Đã nêu nhu cầu", "field_present", "interest", 10),
    ("Đã trao đổi từ 2 lần", "activity_count", "2", 15),
    ("Liên hệ trong 7 ngày qua", "recency", "7", 15),
    ("Email miễn phí", "email_domain", "gmail.com, yahoo.com, hotmail.com, outlook.com", -5),
]


def sync_sales_defaults(pipeline_model: Any, stage_model: Any, rule_model: Any) -> None:
    """Create the default pipelines and rules when there are none (idempotent)."""
    if not pipeline_model._default_manager.exists():
        for position, (name, stages) in enumerate(PIPELINES):
            pipeline = pipeline_model._default_manager.create(
                name=name, position=position, is_default=position == 0
            )
            for i, (stage, probability, won, lost) in enumerate(stages):
                stage_model._default_manager.create(
                    pipeline=pipeline,
                    name=stage,
                    position=i,
                    probability=probability,
                    is_won=won,
                    is_lost=lost,
                )
    if not rule_model._default_manager.exists():
        for position, (name, kind, value, points) in enumerate(SCORING_RULES):
            rule_model._default_manager.create(
                name=name, kind=kind, value=value, points=points, position=position
            )
