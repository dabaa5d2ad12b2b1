"""The words of the demo sales story: sources and campaigns, what people ask for, the deals, the
reasons. Data in the company's language (the demo company is Vietnamese), not UI strings."""

from __future__ import annotations

LEAD_SOURCES = [
    ("facebook", 30),
    ("zalo", 18),
    ("website", 14),
    ("phone", 12),
    ("walk_in", 8),
    ("referral", 9),
    ("google_ads", 9),
]
# Lead source → the channel the person agreed to be contacted on there, and how (a lead's consent row).
LEAD_CONSENTS = {
    "zalo": ("zalo", "Nhắn tin Zalo OA, đồng ý nhận tư vấn qua Zalo"),
    "phone": ("phone", "Gọi đến hotline, đồng ý được gọi lại"),
}
# {m}: the month the lead came in ("Fanpage T8 - Điều hòa Inverter").
CAMPAIGNS = {
    "facebook": ["Fanpage T{m} - Điều hòa Inverter", "Fanpage T{m} - Miễn phí lắp đặt"],
    "zalo": ["Zalo OA - Bảo dưỡng trước mùa nóng", "Zalo OA T{m} - Ưu đãi khách cũ"],
    "google_ads": ["Google Ads - Lắp đặt điều hòa", "Google Ads - Điều hòa âm trần văn phòng"],
    "website": ["Website - Form tư vấn"],
    "referral": ["Giới thiệu bạn bè - Tặng voucher 500k", ""],
    "phone": [""],
    "walk_in": [""],
}
HOME_INTERESTS = [
    "2 máy Daikin 12.000 BTU cho phòng ngủ",
    "Điều hòa Panasonic inverter 18.000 BTU cho phòng khách",
    "Điều hòa 2 chiều cho nhà mới xây, 3 phòng ngủ",
    "Thay máy cũ 9.000 BTU, cần máy tiết kiệm điện",
    "Vệ sinh, nạp gas 3 máy treo tường",
    "Lắp điều hòa LG dual inverter cho căn hộ chung cư",
    "Điều hòa multi 1 dàn nóng 3 dàn lạnh cho biệt thự",
]
BUSINESS_INTERESTS = [
    "Bảo dưỡng 5 máy văn phòng",
    "Điều hòa âm trần cassette cho nhà hàng 120 m²",
    "Hệ thống VRV cho khách sạn 40 phòng",
    "Điều hòa tủ đứng cho hội trường 200 chỗ",
    "Thay thế 12 máy cho trường mầm non",
    "Hợp đồng bảo trì định kỳ 30 máy",
]
# (deal name, products, min amount, max amount) in VND; {acc}: the account's name.
RETAIL_DEALS = [
    ("2 máy Daikin inverter 12.000 BTU", "Daikin FTKB35 12.000 BTU × 2, công lắp đặt, 8 m ống đồng", 22, 32),
    ("Điều hòa Panasonic 18.000 BTU phòng khách", "Panasonic CU/CS-XU18 inverter, giá đỡ, ống đồng", 18, 27),
    ("Điều hòa cho căn hộ 3 phòng ngủ", "LG dual inverter 9.000 BTU × 2 và 12.000 BTU × 1", 30, 48),
    ("Thay điều hòa cũ 9.000 BTU", "Casper inverter 9.000 BTU, thu hồi máy cũ", 8, 12),
    ("Bảo dưỡng trọn gói 1 năm cho 6 máy", "Vệ sinh 2 lần/năm, nạp gas bổ sung", 8, 11),
    ("Điều hòa tủ đứng cho cửa hàng", "Daikin tủ đứng 48.000 BTU, lắp đặt", 45, 68),
    ("Điều hòa multi cho biệt thự", "Daikin multi 1 dàn nóng 4 dàn lạnh âm trần", 90, 150),
]
PROJECT_DEALS = [
    ("Hệ thống VRV - {acc}", "Daikin VRV A 40 HP, thiết kế và thi công trọn gói", 600, 2000),
    ("Điều hòa âm trần cassette - {acc}", "12 máy cassette 36.000 BTU, ống gió, bơm nước ngưng", 180, 420),
    ("Bảo trì định kỳ 30 máy - {acc}", "Hợp đồng bảo trì 12 tháng, 4 lần/năm", 90, 160),
    ("Thay điều hòa phòng học - {acc}", "24 máy treo tường 18.000 BTU, tháo máy cũ", 300, 520),
    ("Điều hòa trung tâm Chiller - {acc}", "Chiller giải nhiệt gió 120 RT, AHU, FCU", 1200, 2000),
    ("Điều hòa văn phòng tầng 5 - {acc}", "Multi 2 dàn nóng, 10 dàn lạnh nối ống gió", 250, 600),
]
LOST_REASONS = [
    "Giá cao hơn đối thủ",
    "Khách hoãn dự án",
    "Khách chọn hãng khác",
    "Không liên lạc được với khách",
    "Ngân sách bị cắt",
    "Chủ đầu tư đổi nhà thầu",
]
UNQUALIFIED_REASONS = [
    "Chỉ hỏi giá tham khảo",
    "Ngoài khu vực phục vụ",
    "Số điện thoại không liên lạc được",
    "Đã mua ở nơi khác",
]
NEXT_ACTIONS = [
    "Gọi lại tư vấn",
    "Gửi báo giá qua Zalo",
    "Hẹn khảo sát tại nhà",
    "Gửi catalogue Daikin inverter",
    "Xác nhận lịch khảo sát",
    "Gọi lại sau khi khách bàn với gia đình",
]
LEAD_PROVINCES = [("ha-noi", 45), ("ho-chi-minh", 40), ("bac-ninh", 4), ("dong-nai", 4), ("da-nang", 4)]
NORTH = {"ha-noi", "bac-ninh"}
WEB_FORM = "Form tư vấn trên website"
MILLION = 1_000_000
