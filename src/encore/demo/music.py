"""Composing the demo's pieces: a style per genre, a score per piece, and the score as an
ffmpeg `aevalsrc` expression with the filters that finish it.

A score is four chords of a mode, looped, under an arpeggiated lead, a bass line and drums, each
voice a small additive or FM synthesizer. Everything stays consonant by construction: the lead
and the bass only ever play tones of the chord that sounds. Each piece draws its key, tempo,
progression and patterns from a random generator seeded with its ISRC, so the same piece always
comes out the same and no two pieces are alike.

ffmpeg's expressions have ten variables and no arrays: the lead's patterns are packed into
numbers and read back digit by digit (in base 8, so that the division that reads a digit is exact
in floating point), and frequencies are chosen by trees of comparisons.
"""

import random
from dataclasses import dataclass

from encore.demo.repertoire import PieceSpec

SAMPLE_RATE = 44_100
# The voices are computed at half the rate (the costly part), then resampled: nothing they play
# reaches above 11 kHz that matters.
SYNTH_RATE = 22_050
TARGET_S = 19.0  # music before the tail; with it, pieces run 20 to 27 s
TAIL_S = 2.5  # after the last bar: echoes ring out, then a fade
STEPS = 16  # arpeggio steps per pattern
INTRO_BARS = 2

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
DORIAN = (0, 2, 3, 5, 7, 9, 10)
MIXOLYDIAN = (0, 2, 4, 5, 7, 9, 10)

# Timbres: `{x}` is the phase (2 pi f t), `{t}` seconds since the note began.
TIMBRES = {
    "sine": "sin({x})",
    "bell": "sin({x}+2.2*exp(-6*{t})*sin(3.5*{x}))",
    "epiano": "sin({x}+1.3*exp(-4*{t})*sin({x}))",
    "square": "(sin({x})+sin(3*{x})/3+sin(5*{x})/5+sin(7*{x})/7)",
    "pluck": "(sin({x})+0.6*exp(-8*{t})*sin(2*{x})+0.35*exp(-14*{t})*sin(3*{x}))",
    "saw": "(sin({x})+sin(2*{x})/2+sin(3*{x})/3+sin(4*{x})/4+sin(5*{x})/5)",
    "warm": "(sin({x})+0.25*sin(2*{x}))",
    "chorus": "(sin({x})+sin(1.004*{x}))/2",
    "organ": "(sin({x})+0.5*sin(2*{x})+0.25*sin(4*{x}))",
}


@dataclass(frozen=True, slots=True)
class Style:
    bpm: tuple[int, int]
    modes: tuple[tuple[int, ...], ...]
    progressions: tuple[tuple[int, int, int, int], ...]  # scale degrees, 0-based
    sevenths: bool
    steps_per_beat: int  # of the lead: 2 plays eighths, 4 sixteenths
    density: float  # share of lead steps that sound
    lead: str
    lead_decay: float
    pad: str
    bass: str
    levels: tuple[float, float, float, float]  # lead, pad (per tone), bass, drums
    bass_patterns: tuple[str, ...]  # eighths of a bar, 'x' plays
    kicks: tuple[str, ...]  # eighths
    snares: tuple[str, ...]  # eighths
    hats: tuple[str, ...]  # sixteenths
    finish: str  # ffmpeg filters over the mix, before the stereo echo
    echo_ms: tuple[int, int]  # the echo's delays, left and right
    echo_decay: float


_NO_DRUMS = ("........",)
STYLES = {
    "Ambient": Style(
        bpm=(60, 72),
        modes=(MAJOR, MIXOLYDIAN),
        progressions=((0, 3, 0, 4), (5, 3, 0, 4), (0, 2, 3, 0), (3, 0, 3, 4)),
        sevenths=True,
        steps_per_beat=2,
        density=0.45,
        lead="bell",
        lead_decay=2.5,
        pad="chorus",
        bass="sine",
        levels=(0.3, 0.09, 0.2, 0.0),
        bass_patterns=("x.......", "x...x..."),
        kicks=_NO_DRUMS,
        snares=_NO_DRUMS,
        hats=("................",),
        finish="lowpass=f=5000",
        echo_ms=(420, 610),
        echo_decay=0.45,
    ),
    "Synthwave": Style(
        bpm=(96, 112),
        modes=(MINOR,),
        progressions=((0, 5, 2, 6), (0, 6, 5, 6), (0, 5, 3, 6), (5, 6, 0, 0)),
        sevenths=False,
        steps_per_beat=4,
        density=0.6,
        lead="square",
        lead_decay=7.0,
        pad="saw",
        bass="saw",
        levels=(0.16, 0.05, 0.2, 0.5),
        bass_patterns=("xxxxxxxx", "x.xxx.xx"),
        kicks=("x...x...", "x...x.x."),
        snares=("..x...x.",),
        hats=("..x...x...x...x.", "x.x.x.x.x.x.x.x."),
        finish="lowpass=f=7000",
        echo_ms=(280, 375),
        echo_decay=0.3,
    ),
    "Lo-Fi": Style(
        bpm=(70, 86),
        modes=(MAJOR, DORIAN),
        progressions=((1, 4, 0, 5), (3, 2, 1, 0), (0, 5, 1, 4), (3, 4, 2, 5)),
        sevenths=True,
        steps_per_beat=2,
        density=0.5,
        lead="epiano",
        lead_decay=3.5,
        pad="warm",
        bass="warm",
        levels=(0.2, 0.05, 0.24, 0.45),
        bass_patterns=("x..x..x.", "x...x.x."),
        kicks=("x....x..", "x..x..x."),
        snares=("..x...x.",),
        hats=("x.x.x.x.x.x.x.x.", "x.xxx.x.x.xxx.x."),
        finish="lowpass=f=3200",
        echo_ms=(90, 140),
        echo_decay=0.2,
    ),
    "Chiptune": Style(
        bpm=(132, 150),
        modes=(MAJOR,),
        progressions=((0, 4, 5, 3), (0, 3, 4, 4), (5, 3, 0, 4), (0, 5, 3, 4)),
        sevenths=False,
        steps_per_beat=4,
        density=0.9,
        lead="square",
        lead_decay=5.0,
        pad="square",
        bass="square",
        levels=(0.15, 0.025, 0.18, 0.4),
        bass_patterns=("x.x.x.x.", "xxx.x.xx"),
        kicks=("x...x...",),
        snares=("..x...x.", "..x..xx."),
        hats=("x.x.x.x.x.x.x.x.",),
        finish="anull",
        echo_ms=(30, 45),
        echo_decay=0.1,
    ),
    "Folk": Style(
        bpm=(84, 100),
        modes=(MAJOR, MIXOLYDIAN),
        progressions=((0, 3, 0, 4), (0, 4, 5, 3), (0, 6, 3, 0), (5, 3, 0, 4)),
        sevenths=False,
        steps_per_beat=2,
        density=0.95,
        lead="pluck",
        lead_decay=3.0,
        pad="organ",
        bass="pluck",
        levels=(0.24, 0.025, 0.22, 0.25),
        bass_patterns=("x...x...", "x..xx..."),
        kicks=_NO_DRUMS,
        snares=_NO_DRUMS,
        hats=("x.x.x.x.x.x.x.x.", "x.xxx.xxx.xxx.xx"),
        finish="lowpass=f=6000",
        echo_ms=(60, 85),
        echo_decay=0.15,
    ),
    "Techno": Style(
        bpm=(122, 130),
        modes=(MINOR, DORIAN),
        progressions=((0, 0, 5, 6), (0, 5, 0, 6), (0, 3, 0, 3), (0, 0, 3, 4)),
        sevenths=True,
        steps_per_beat=4,
        density=0.35,
        lead="sine",
        lead_decay=9.0,
        pad="saw",
        bass="saw",
        levels=(0.16, 0.03, 0.2, 0.6),
        bass_patterns=(".x.x.x.x", ".xx..xx."),
        kicks=("x.x.x.x.",),
        snares=("........", "..x...x."),
        hats=("..x...x...x...x.", "..x.x.x...x.x.xx"),
        finish="lowpass=f=8000",
        echo_ms=(230, 345),
        echo_decay=0.25,
    ),
}


@dataclass(frozen=True, slots=True)
class Score:
    """Everything that makes one piece sound as it does."""

    style: Style
    key: int  # MIDI note of the key's root, A2 to E3
    bpm: int
    bars: int
    chords: tuple[tuple[int, int, int, int], ...]  # four chords, semitones above the key
    lead: tuple[tuple[int, ...], tuple[int, ...]]  # two patterns of STEPS digits, 0 a rest
    bass: str
    kick: str
    snare: str
    hat: str

    @property
    def duration_s(self) -> float:
        return self.bars * 240 / self.bpm + TAIL_S


def compose(piece: PieceSpec) -> Score:
    rng = random.Random(piece.isrc)
    style = STYLES[piece.genre]
    bpm = rng.randint(*style.bpm)
    mode = rng.choice(style.modes)
    progression = rng.choice(style.progressions)
    return Score(
        style=style,
        key=rng.randint(45, 52),
        bpm=bpm,
        bars=max(6, round(TARGET_S * bpm / 240)),
        chords=tuple(_chord(mode, degree, sevenths=style.sevenths) for degree in progression),
        lead=_lead_patterns(rng, style.density),
        bass=rng.choice(style.bass_patterns),
        kick=rng.choice(style.kicks),
        snare=rng.choice(style.snares),
        hat=rng.choice(style.hats),
    )


def _chord(mode: tuple[int, ...], degree: int, *, sevenths: bool) -> tuple[int, int, int, int]:
    """Root, third, fifth and seventh (or the octave) of the mode's chord on `degree`."""

    def tone(step: int) -> int:
        position = degree + step
        return mode[position % 7] + 12 * (position // 7)

    return (tone(0), tone(2), tone(4), tone(6) if sevenths else tone(0) + 12)


def _lead_patterns(rng: random.Random, density: float) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A phrase as a walk over the chord's tones (1-4, then 5-7 an octave up; 0 rests), and a
    variation of it for every other pass."""
    first: list[int] = []
    position = rng.randint(0, 2)
    for step in range(STEPS):
        if step and rng.random() > density:
            first.append(0)
            continue
        first.append(position + 1)
        position = min(6, max(0, position + rng.choice((-2, -1, -1, 1, 1, 2))))
    second = list(first)
    for step in rng.sample(range(STEPS // 2, STEPS), 4):
        second[step] = rng.choice((0, *range(1, 8))) if step % 2 else rng.randint(1, 5)
    return tuple(first), tuple(second)


# --- the score as an ffmpeg expression ----------------------------------------------------------
#
# Variables: 0 beats since the start, 5 the bar, 1 the chord (0-3), 3 seconds into the lead's step
# (then into the bar, for the pad), 4 the lead's digit, 6 and 7 seconds into the eighth and the
# sixteenth, 8 the noise generator's state, 9 the sum of the voices so far, 2 a scratch phase.
# Frequencies are worked out here and looked up by comparisons; a voice that is silent is not
# evaluated at all (ffmpeg's `if` evaluates only the branch it takes).


def expression(score: Score) -> str:
    style = score.style
    beats_per_s = score.bpm / 60
    spb = style.steps_per_beat
    step_s = 1 / (beats_per_s * spb)
    eighth_s = 1 / (2 * beats_per_s)
    bar_s = 4 / beats_per_s
    lead_level, pad_level, bass_level, drum_level = style.levels
    first, second = (_pack(pattern, 8) for pattern in score.lead)
    bar = "ld(5)"
    sounding = f"lt({bar},{score.bars})"
    grooving = f"gte({bar},{INTRO_BARS})*{sounding}"
    drumming = f"{grooving}*(1-eq({bar},{score.bars - 3}))"
    eighth = "mod(floor(ld(0)*2),8)"
    sixteenth = "mod(floor(ld(0)*4),16)"
    noise = "(2*random(8)-1)"

    def voice(timbre: str, hertz: str, since: str) -> str:
        sound = TIMBRES[timbre].format(x="ld(2)", t=since)
        return f"st(2,2*PI*t*{hertz});{sound}"

    def add(gate: str, level: float, body: str) -> str:
        return f"st(9,ld(9)+if({gate},{level}*{body},0))"

    lead_envelope = f"min(1,ld(3)*300)*exp(-{style.lead_decay}*ld(3))*min(1,({step_s}-ld(3))*150)"
    bass_envelope = f"min(1,ld(6)*200)*exp(-6*ld(6))*min(1,({eighth_s}-ld(6))*100)"
    pad_envelope = f"min(1,ld(3)*6)*min(1,({bar_s}-ld(3))*8)"
    parts = [
        f"st(0,t*{beats_per_s})",
        "st(5,floor(ld(0)/4))",
        f"st(1,mod({bar},4))",
        f"st(2,ld(0)*{spb})",
        f"st(3,(ld(2)-floor(ld(2)))/{beats_per_s * spb})",
        f"st(4,mod(floor(if(mod(floor(ld(2)/{STEPS}),2),{second},{first})"
        f"/pow(8,mod(floor(ld(2)),{STEPS}))),8))",
        f"st(6,(ld(0)*2-floor(ld(0)*2))/{2 * beats_per_s})",
        f"st(7,(ld(0)*4-floor(ld(0)*4))/{4 * beats_per_s})",
        "st(9,0)",
        # The lead, from the second bar.
        add(
            f"gt(ld(4),0)*gte({bar},1)*{sounding}",
            lead_level,
            f"{lead_envelope}*({voice(style.lead, _lead_hertz(score), 'ld(3)')})",
        ),
        # The bass, on the chord's root.
        add(
            f"{_gate(score.bass, eighth)}*{grooving}",
            bass_level,
            f"{bass_envelope}*({voice(style.bass, _bass_hertz(score), 'ld(6)')})",
        ),
        # The pad swells in on each chord.
        f"st(3,(ld(0)-4*{bar})/{beats_per_s})",
    ]
    tones = 4 if style.sevenths else 3
    for index in range(tones):
        hertz = _select("ld(1)", [_hz(score.key + chord[index]) for chord in score.chords])
        parts.append(add(sounding, pad_level, f"{pad_envelope}*({voice(style.pad, hertz, '0')})"))
    if drum_level:
        kick = "sin(2*PI*(50*ld(6)+3.3*(1-exp(-30*ld(6)))))*exp(-9*ld(6))*min(1,ld(6)*400)"
        snare = f"(0.5*{noise}+0.5*sin(2*PI*190*ld(6)))*exp(-16*ld(6))"
        hat = f"0.25*{noise}*exp(-70*ld(7))"
        parts += [
            add(f"{_gate(score.kick, eighth)}*{drumming}", drum_level, kick),
            add(f"{_gate(score.snare, eighth)}*{drumming}", drum_level, snare),
            add(f"{_gate(score.hat, sixteenth)}*{drumming}", drum_level, hat),
        ]
    elif "x" in score.hat:
        # A soft shaker keeps time where there are no drums.
        parts.append(
            add(f"{_gate(score.hat, sixteenth)}*{drumming}", 0.2, f"{noise}*exp(-45*ld(7))")
        )
    parts.append("ld(9)")
    return ";".join(parts)


def _hz(midi: int) -> str:
    return f"{440 * 2 ** ((midi - 69) / 12):.4f}"


def _lead_hertz(score: Score) -> str:
    """The lead's frequency by chord and digit: digits 1-4 are the chord's tones, 5-7 the first
    three an octave up; chords rooted high in the octave drop an octave to stay in range."""
    by_chord = []
    for chord in score.chords:
        base = score.key + 12 - (12 if chord[0] > 6 else 0)
        notes = [base + chord[(digit - 1) % 4] + 12 * ((digit - 1) // 4) for digit in range(1, 8)]
        by_chord.append(_select("ld(4)", [_hz(note) for note in notes], first=1))
    return _select("ld(1)", by_chord)


def _bass_hertz(score: Score) -> str:
    return _select("ld(1)", [_hz(score.key - 12 + chord[0]) for chord in score.chords])


def _select(variable: str, values: list[str], first: int = 0) -> str:
    """`values[variable - first]` as a tree of comparisons."""
    if len(set(values)) == 1:
        return values[0]
    middle = len(values) // 2
    low = _select(variable, values[:middle], first)
    high = _select(variable, values[middle:], first + middle)
    return f"if(lt({variable},{first + middle}),{low},{high})"


def _gate(pattern: str, index: str) -> str:
    """1 on the steps of `pattern` marked 'x', else 0."""
    return _select(index, ["1" if mark == "x" else "0" for mark in pattern])


def filters(score: Score) -> str:
    """The filter graph from the generated mono voice (`[0:a]`) to the finished stereo piece
    (`[out]`): the style's colour, a different echo on each side for width, a limiter, a fade."""
    style = score.style
    left, right = style.echo_ms
    decay = style.echo_decay
    fade_start = score.duration_s - 1.5
    return (
        f"[0:a]aresample={SAMPLE_RATE},highpass=f=30,{style.finish},asplit=2[l][r];"
        f"[l]aecho=0.9:0.8:{left}|{left * 2}:{decay}|{decay / 2}[el];"
        f"[r]aecho=0.9:0.8:{right}|{right * 2}:{decay}|{decay / 2}[er];"
        f"[el][er]join=inputs=2:channel_layout=stereo,"
        f"alimiter=limit=0.89:level=false,"
        f"afade=t=out:st={fade_start:.3f}:d=1.5[out]"
    )


def _pack(digits: tuple[int, ...] | list[int], base: int) -> int:
    packed: int = sum(digit * base**place for place, digit in enumerate(digits))
    assert packed < 2**53, "a packed table must be exact as a double"
    return packed
