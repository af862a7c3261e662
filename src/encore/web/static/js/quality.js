// Adaptive streaming quality: measure real throughput, pick the highest rung the plan and the
// network allow, step down on a stall and back up once the network has recovered.

export const LADDER = [
  { quality: "low", kbps: 24, label: "Low · 24 kbps" },
  { quality: "normal", kbps: 96, label: "Normal · 96 kbps" },
  { quality: "high", kbps: 160, label: "High · 160 kbps" },
  { quality: "very_high", kbps: 320, label: "Very high · 320 kbps" },
  { quality: "lossless", kbps: 1100, label: "Lossless · FLAC" },
];
const PAID = new Set(["premium", "family", "duo"]);
// The network must carry this many times a rung's bitrate for the rung to be chosen.
const HEADROOM = 2;
// After a stall, the rung above is out of reach for this long, and only comes back when
// throughput supports it.
const HOLD_MS = 30000;

export function rungOf(quality) {
  return Math.max(0, LADDER.findIndex((rung) => rung.quality === quality));
}

export function planCeiling(product) {
  return PAID.has(product) ? LADDER.length - 1 : rungOf("high");
}

export class AdaptiveQuality {
  constructor({ product = "free", choice = "auto", now = () => Date.now() } = {}) {
    this.now = now;
    this.setPlan(product);
    this.choice = choice;
    this.estimateKbps = null; // exponentially weighted throughput
    this.cap = LADDER.length - 1; // lowered by stalls
    this.heldUntil = 0;
    this.stalls = 0;
  }

  setPlan(product) {
    this.ceiling = planCeiling(product);
  }

  // A download of `bytes` that took `ms`.
  sample(bytes, ms) {
    if (bytes < 16384 || ms <= 0) return;
    const kbps = (bytes * 8) / ms; // bits per millisecond = kbit/s
    this.estimateKbps =
      this.estimateKbps === null ? kbps : 0.7 * this.estimateKbps + 0.3 * kbps;
    // Recovery: once the hold has passed and the network carries the rung above, lift the cap.
    if (this.now() >= this.heldUntil && this.cap < LADDER.length - 1) {
      const above = LADDER[this.cap + 1];
      if (this.estimateKbps >= above.kbps * HEADROOM) this.cap += 1;
    }
  }

  // Playback waited for data: the current rung is too much for now.
  stalled(currentQuality) {
    this.stalls += 1;
    this.cap = Math.max(0, Math.min(this.cap, rungOf(currentQuality) - 1));
    this.heldUntil = this.now() + HOLD_MS;
    return this.pick();
  }

  pick() {
    const limit = Math.min(this.ceiling, this.cap);
    if (this.choice !== "auto") return LADDER[Math.min(rungOf(this.choice), this.ceiling)].quality;
    let chosen = Math.min(rungOf("high"), limit); // before any measurement
    if (this.estimateKbps !== null) {
      chosen = 0;
      for (let i = 0; i <= limit; i += 1) {
        if (LADDER[i].kbps * HEADROOM <= this.estimateKbps) chosen = i;
      }
    }
    return LADDER[chosen].quality;
  }
}

export function labelOf(quality) {
  return LADDER[rungOf(quality)].label;
}
