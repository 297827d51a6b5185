"""What happens to a simulated call, chosen by the last two digits of the destination.

| ends in | outcome                                              |
|---------|------------------------------------------------------|
| 01      | a person answers, talks briefly, hangs up            |
| 02      | busy (486 Busy Here)                                 |
| 03      | nobody answers: no-answer (487) after the ring timeout |
| 04      | the number does not exist (404 Not Found)            |
| 05      | an answering machine answers                         |
| 06      | a person answers and stays until hung up or timeLimit |
| 07      | busy the first time, answered as 01 when called again (MOBtexting's retries) |
| other   | as 01                                                |

Times are nominal seconds; the engine divides them by its speed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Outcome(Enum):
    TALK = "01"
    BUSY = "02"
    NO_ANSWER = "03"
    NOT_FOUND = "04"
    MACHINE = "05"
    STAY = "06"
    BUSY_THEN_TALK = "07"


def outcome_for(destination: str, attempt: int = 1) -> Outcome:
    """What happens on this attempt at calling `destination` (the engine never sees BUSY_THEN_TALK)."""
    digits = re.sub(r"\D", "", destination.split("@")[0])  # the user part of a SIP URI or user name
    for outcome in Outcome:
        if digits.endswith(outcome.value) and len(digits) >= 2:
            if outcome is Outcome.BUSY_THEN_TALK:
                return Outcome.BUSY if attempt == 1 else Outcome.TALK
            return outcome
    return Outcome.TALK


# Nominal timings (seconds).
TRYING_TO_RINGING = 0.3
RINGING_TO_ANSWER = 2.0
RINGING_TO_BUSY = 1.5
TRYING_TO_NOT_FOUND = 0.3
TALK_SECONDS = 4.0  # 01: the person talks this long, then hangs up
MACHINE_CALL_SECONDS = 9.0  # 05: greeting, beep, a message left, then the application hangs up
DEFAULT_RING_TIMEOUT = 60  # jambonz: timeout || 60


@dataclass(frozen=True)
class Speaker:
    """How the party that answers sounds to AMD."""

    starts_at: float  # seconds after answer before the first word
    words: tuple[str, ...]
    seconds: float  # how long the greeting lasts
    beep_after: float | None  # seconds after the greeting ends; None: no beep

    @property
    def ends_at(self) -> float:
        return self.starts_at + self.seconds


HUMAN = Speaker(1.0, tuple("Hello, this is Sam speaking.".split()), 1.2, None)
MACHINE = Speaker(
    0.6,
    tuple(
        (
            "Hi, you've reached the Harrison family. We can't take your call right now, please leave a message "
            "after the tone."
        ).split()
    ),
    5.0,
    0.4,
)


def amd_timeline(speaker: Speaker, amd: dict[str, Any]) -> list[tuple[float, dict[str, Any]]]:
    """AMD events (seconds after answer, event fields) as jambonz's detector would report them for
    this speaker with these options: the operator's timers decide no-speech and decision-timeout."""
    timers = amd.get("timers") or {}
    no_speech = timers.get("noSpeechTimeoutMs", 5000) / 1000
    decision = timers.get("decisionTimeoutMs", 15000) / 1000
    tone_timeout = timers.get("toneTimeoutMs", 20000) / 1000
    completion = timers.get("greetingCompletionTimeoutMs", 2000) / 1000
    threshold = amd.get("thresholdWordCount", 9)
    language = (amd.get("recognizer") or {}).get("language") or "en-US"
    events: list[tuple[float, dict[str, Any]]] = []

    if no_speech < speaker.starts_at:
        events.append((no_speech, {"type": "amd_no_speech_detected"}))
    elif len(speaker.words) >= threshold:
        decided = speaker.starts_at + speaker.seconds * threshold / len(speaker.words)
        if decision < decided:
            events.append((decision, {"type": "amd_decision_timeout"}))
        else:
            greeting = " ".join(speaker.words[:threshold])
            events.append((decided, {"type": "amd_machine_detected", "reason": "long greeting", "greeting": greeting,
                                     "language": language}))
            stopped = speaker.ends_at + completion
            if speaker.beep_after is not None and speaker.ends_at + speaker.beep_after <= tone_timeout:
                beep = speaker.ends_at + speaker.beep_after
                events.append((beep, {"type": "amd_tone_detected", "frequency": 1000, "variance": 12}))
                stopped = beep + 1.0  # jambonz waits 1 s after a beep
            events.append((stopped, {"type": "amd_machine_stopped_speaking"}))
    else:
        if decision < speaker.ends_at:
            events.append((decision, {"type": "amd_decision_timeout"}))
        else:
            events.append((speaker.ends_at, {"type": "amd_human_detected", "reason": "short greeting",
                                             "greeting": " ".join(speaker.words), "language": language}))
    last = events[-1][0]
    events.append((last + 0.05, {"type": "amd_stopped"}))
    return events
