import type { Endpoint } from "../../src/transport/mod.ts";
import { UtpSocket } from "../../src/transport/utp/mod.ts";
import type { ManualClock } from "../engine/manual_clock.ts";

/** What the simulated link does to each datagram. */
export interface LinkConditions {
  /** One-way delay, in milliseconds. */
  delayMs: number;
  /** Extra random delay up to this, which reorders datagrams. */
  jitterMs: number;
  /** Share of datagrams dropped. */
  loss: number;
  /** Share of datagrams delivered twice. */
  duplicate: number;
  /** Datagrams in transit toward one address at most; more are dropped (a full socket buffer). */
  queue?: number;
}

/** A seeded generator of numbers in [0, 1) (mulberry32), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * UDP between uTP sockets at made-up addresses, on a manual clock: every
 * datagram is copied, then dropped, duplicated or delayed as the
 * conditions say. Conditions can change mid-test (per direction, by
 * destination address).
 */
export class LossyNetwork {
  readonly #hosts = new Map<string, UtpSocket>();
  readonly #random: () => number;
  /** Datagrams sent, by destination address. */
  readonly sent = new Map<string, number>();
  /** Conditions for datagrams to one address; the default for the rest. */
  readonly toward = new Map<string, LinkConditions>();
  readonly #inTransit = new Map<string, number>();

  constructor(
    readonly clock: ManualClock,
    public conditions: LinkConditions = { delayMs: 10, jitterMs: 0, loss: 0, duplicate: 0 },
    seed = 1,
  ) {
    this.#random = seededRandom(seed);
  }

  /** A uTP socket at `ip` (port 6881). */
  socket(ip: string, accept = true): { socket: UtpSocket; endpoint: Endpoint } {
    const endpoint = { ip, port: 6881 };
    const socket = new UtpSocket(
      { send: (bytes, to) => this.send(bytes, endpoint, to) },
      { clock: this.clock, accept, random: () => Math.floor(this.#random() * 65536) },
    );
    this.#hosts.set(ip, socket);
    return { socket, endpoint };
  }

  /** Sends `bytes` from `from` to `to` as the conditions say (also usable by a forging test). */
  send(bytes: Uint8Array, from: Endpoint, to: Endpoint): void {
    this.sent.set(to.ip, (this.sent.get(to.ip) ?? 0) + 1);
    const target = this.#hosts.get(to.ip);
    if (!target) return;
    const conditions = this.toward.get(to.ip) ?? this.conditions;
    if (this.#random() < conditions.loss) return;
    const copies = this.#random() < conditions.duplicate ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const inTransit = this.#inTransit.get(to.ip) ?? 0;
      if (inTransit >= (conditions.queue ?? Infinity)) return;
      this.#inTransit.set(to.ip, inTransit + 1);
      const bytesCopy = bytes.slice();
      const delay = conditions.delayMs + this.#random() * conditions.jitterMs;
      this.clock.after(delay, () => {
        this.#inTransit.set(to.ip, this.#inTransit.get(to.ip)! - 1);
        target.receive(bytesCopy, { ...from });
      });
    }
  }
}

/** Lets the engine's promises run between clock steps. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Advances the clock `ms` in steps of `step`, letting promises run after each. */
export async function run(clock: ManualClock, ms: number, step = 5): Promise<void> {
  for (let passed = 0; passed < ms; passed += step) {
    clock.advance(step);
    await turn();
  }
}
