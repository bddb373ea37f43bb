"""GB/T 28181-2016 附录 D 统一编码规则 A: 20 decimal digits = 中心编码 (8: the GB/T 2260 administrative code of the
centre's place, 省 2 + 市 2 + 县 2 + 基层单位 2, spare positions 0) + 行业编码 (2) + 类型编码 (3) + 网络标识 (1) + 序号 (6).
(2011 and some readings of 2016 give 序号 7 digits with no 网络标识; both put the type at digits 11–13, which is all
this check relies on beyond the centre code.)"""

import re

DIGITS20 = re.compile(r"^\d{20}$")

# 类型编码 (表 D.1), the ones a camera register meets.
DEVICE_TYPES = {
    "111": "DVR",
    "112": "视频服务器",
    "113": "编码器",
    "118": "NVR",
    "131": "摄像机",
    "132": "网络摄像机（IPC）",
    "200": "中心信令控制服务器",
    "209": "接入网关",
}
CHANNEL_TYPES = {"131": "摄像机", "132": "网络摄像机（IPC）"}
# A device a channel hangs on: the IPC itself, an encoder, a DVR/NVR, or a lower platform/gateway.
HOST_TYPES = {"111", "112", "113", "118", "131", "132", "200", "209"}

NETWORKS = {
    "0": "监控报警专网",
    "1": "监控报警专网",
    "2": "监控报警专网",
    "3": "监控报警专网",
    "4": "监控报警专网",
    "5": "公安信息网",
    "6": "政务网",
    "7": "Internet 网",
    "8": "社会资源接入网",
    "9": "预留",
}


def type_code(code: str) -> str:
    return code[10:13]


def centre_problem(code: str, *, county_code: str, township_code: str | None) -> str | None:
    """The centre code must name the place: digits 1–6 the county, 7–8 either 00 (the county's own centre) or the
    township (its 3-digit serial's last two digits, 101 → 01)."""
    if code[:6] != county_code:
        return f"中心编码前 6 位应为所在县区代码 {county_code}，实为 {code[:6]}"
    base = code[6:8]
    allowed = {"00"}
    if township_code:
        allowed.add(township_code[-2:])
    if base not in allowed:
        want = "或".join(sorted(allowed))
        return f"中心编码第 7–8 位应为 {want}（县级中心为 00，乡镇为其代码末两位），实为 {base}"
    return None


def id_problems(
    device_id: str, channel_id: str, *, county_code: str, township_code: str | None = None
) -> list[tuple[str, str]]:
    """Problems of a camera's ids as (field, Chinese message); empty when both are valid."""
    problems: list[tuple[str, str]] = []
    for field, code, label in (("device_id", device_id, "设备编码"), ("channel_id", channel_id, "通道编码")):
        if not DIGITS20.match(code or ""):
            problems.append((field, f"{label}应为 20 位数字，实为「{code}」"))
            continue
        wrong = centre_problem(code, county_code=county_code, township_code=township_code)
        if wrong:
            problems.append((field, f"{label}：{wrong}"))
    if not problems or all(f != "channel_id" for f, _m in problems):
        kind = type_code(channel_id)
        if kind not in CHANNEL_TYPES:
            problems.append(
                ("channel_id", f"通道编码第 11–13 位类型编码应为 131（摄像机）或 132（网络摄像机），实为 {kind}")
            )
    if not problems or all(f != "device_id" for f, _m in problems):
        kind = type_code(device_id)
        if kind not in HOST_TYPES:
            known = "、".join(f"{k}（{v}）" for k, v in DEVICE_TYPES.items())
            problems.append(("device_id", f"设备编码类型编码 {kind} 不是可接入摄像机的设备类型，可为 {known}"))
    return problems
