"""Messages out: what one send costs through each channel backend, against the local contract servers the tests
use (gridsafe/messaging/tests/contract.py): the real 阿里云短信 SDK (SendSms, ACS3-HMAC-SHA256 signing), the
企业微信 group robot and app messages (gettoken once, then message/send). No database: the channels alone.

    .venv/bin/python bench/messaging_send.py --count 300

Prints p50/p95 wall time per send and sends per second, one at a time (a worker sends one delivery at a time)."""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridsafe.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import django

django.setup()

from django.conf import settings  # noqa: E402

from gridsafe.messaging.channels import AliyunSmsChannel, Message, WecomAppChannel, WecomRobotChannel  # noqa: E402
from gridsafe.messaging.tests.contract import AliyunSms, Wecom  # noqa: E402


def run(name: str, send, count: int) -> None:
    times = []
    started = time.perf_counter()
    cpu = time.process_time()
    for i in range(count):
        t = time.perf_counter()
        result = send(i)
        times.append((time.perf_counter() - t) * 1000)
        assert result.ok, result.error
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    q = statistics.quantiles(times, n=20)
    print(
        f"{name:<22} {count} sends: p50 {statistics.median(times):.1f} ms, p95 {q[18]:.1f} ms, "
        f"{count / wall:.0f}/s, CPU {cpu * 1000 / count:.2f} ms/send (client and server in this process)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    count = parser.parse_args().count
    sms, wecom = AliyunSms().start(), Wecom().start()
    settings.GRIDSAFE_ALIYUN_SMS_ENDPOINT = sms.url
    settings.GRIDSAFE_ALIYUN_ACCESS_KEY_ID, settings.GRIDSAFE_ALIYUN_ACCESS_KEY_SECRET = "LTAIbench", "bench"
    settings.GRIDSAFE_WECOM_BASE_URL = wecom.url
    settings.GRIDSAFE_WECOM_ROBOT_KEY = "bench-robot"
    settings.GRIDSAFE_WECOM_CORP_ID, settings.GRIDSAFE_WECOM_SECRET, settings.GRIDSAFE_WECOM_AGENT_ID = "ww1", "s", "1"
    params = {"case_no": "5531", "title": "电动车室内充电", "grade": "一般", "place": "南溪村12号"}
    try:
        aliyun = AliyunSmsChannel()
        text = "【仙游网格安全】南溪村12号上报隐患“电动车室内充电”（案件5531），请立即处置。"
        run("阿里云短信 SDK", lambda i: aliyun.send(f"139{i:08d}", Message(text, "SMS_1", params)), count)
        run(
            "阿里云短信 SDK (新客户端)",
            lambda i: AliyunSmsChannel().send(f"139{i:08d}", Message(text, "SMS_1", params)),
            count,
        )
        robot = WecomRobotChannel()
        run("企业微信群机器人", lambda i: robot.send("", Message(text)), count)
        app = WecomAppChannel()
        run("企业微信应用消息", lambda i: app.send("WangFang", Message(text)), count)
        assert len(sms.received) == 2 * count and wecom.tokens_issued == 1
    finally:
        sms.stop()
        wecom.stop()


if __name__ == "__main__":
    main()
