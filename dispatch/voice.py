"""What the alert calls say (TwiML): the case in Mandarin, press 1 to acknowledge, 2 to hear it again."""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

LANGUAGE = "zh-TW"
PROMPT = "確認收到請按 1，重聽請按 2。"


def alert_twiml(text: str, gather_url: str | None) -> str:
    """The call: the case, then a one-digit prompt whose answer goes to `gather_url`."""
    response = VoiceResponse()
    if gather_url is None:
        # No public URL (a development setup): the call can only speak, not listen.
        response.say(text, language=LANGUAGE)
        return str(response)
    gather = Gather(num_digits=1, action=gather_url, method="POST", timeout=8)
    gather.say(f"{text} {PROMPT}", language=LANGUAGE)
    response.append(gather)
    response.say("沒有收到按鍵，稍後將再次通知。", language=LANGUAGE)
    return str(response)


def acknowledged_twiml(case_no: str) -> str:
    response = VoiceResponse()
    response.say(f"已確認收到案件 {case_no}，謝謝。", language=LANGUAGE)
    response.hangup()
    return str(response)


def say_twiml(text: str) -> str:
    response = VoiceResponse()
    response.say(text, language=LANGUAGE)
    response.hangup()
    return str(response)
