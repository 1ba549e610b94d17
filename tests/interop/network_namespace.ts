/**
 * A second host for interop tests: a network namespace of the test's own,
 * joined to this one by a veth pair with addresses of its own. Transmission
 * refuses peers on 127.0.0.0/8, so it can only be tested this way
 * (`shared/REAL-CLIENTS.md`). Needs root and iproute2.
 *
 * @module
 */
import { hasCommand } from "../helpers.ts";

/** A network namespace joined to ours; `remove()` deletes it and its link. */
export interface GuestHost {
  /** Our end of the link. */
  readonly hostAddress: string;
  /** The namespace's end. */
  readonly guestAddress: string;
  /** A command line that runs `command` inside the namespace. */
  inside(command: string[]): string[];
  remove(): Promise<void>;
}

/** True where network namespaces can be made: root, with iproute2's `ip`. */
export function canMakeNetworkNamespaces(): boolean {
  return Deno.uid() === 0 && hasCommand("ip");
}

async function ip(...args: string[]): Promise<void> {
  const output = await new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).output();
  if (!output.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
}

/**
 * Makes a namespace and a veth pair on a random 10.x.y.0/24, so that tests
 * running at once do not collide.
 *
 * @example
 * ```ts
 * const guest = await createGuestHost();
 * try { spawn(guest.inside(["transmission-cli", torrent])); } finally { await guest.remove(); }
 * ```
 */
export async function createGuestHost(): Promise<GuestHost> {
  const id = crypto.getRandomValues(new Uint16Array(1))[0];
  const name = `p2p${id}`;
  const subnet = `10.${100 + (id >> 8) % 150}.${id & 0xff}`;
  const hostAddress = `${subnet}.1`;
  const guestAddress = `${subnet}.2`;
  await ip("netns", "add", name);
  const remove = () => ip("netns", "delete", name).catch(() => {});
  try {
    await ip("link", "add", `${name}h`, "type", "veth", "peer", "name", `${name}g`);
    await ip("link", "set", `${name}g`, "netns", name);
    await ip("addr", "add", `${hostAddress}/24`, "dev", `${name}h`);
    await ip("link", "set", `${name}h`, "up");
    await ip("netns", "exec", name, "ip", "addr", "add", `${guestAddress}/24`, "dev", `${name}g`);
    await ip("netns", "exec", name, "ip", "link", "set", `${name}g`, "up");
    await ip("netns", "exec", name, "ip", "link", "set", "lo", "up");
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    hostAddress,
    guestAddress,
    inside: (command) => ["ip", "netns", "exec", name, ...command],
    remove,
  };
}

/** Two hosts of a test's own: network namespaces joined only to each other. */
export interface HostPair {
  readonly a: GuestHost;
  readonly b: GuestHost;
  remove(): Promise<void>;
}

/**
 * Makes two network namespaces joined by a veth pair, neither linked to
 * ours: multicast between them (local service discovery) reaches no real
 * interface. Each has loopback and a route for multicast on its link.
 *
 * @example
 * ```ts
 * const { a, b, remove } = await createHostPair();
 * try { spawn(a.inside(["p2p", "seed", ...])); } finally { await remove(); }
 * ```
 */
export async function createHostPair(): Promise<HostPair> {
  const id = crypto.getRandomValues(new Uint16Array(1))[0];
  const names = [`p2p${id}a`, `p2p${id}b`];
  const subnet = `10.${100 + (id >> 8) % 150}.${id & 0xff}`;
  const removeAll = () =>
    Promise.all(names.map((name) => ip("netns", "delete", name).catch(() => {})));
  try {
    for (const name of names) await ip("netns", "add", name);
    await ip("link", "add", `${names[0]}v`, "type", "veth", "peer", "name", `${names[1]}v`);
    const hosts = [];
    for (const [index, name] of names.entries()) {
      const link = `${name}v`;
      const address = `${subnet}.${index + 1}`;
      await ip("link", "set", link, "netns", name);
      const inside = (...args: string[]) => ip("netns", "exec", name, "ip", ...args);
      await inside("addr", "add", `${address}/24`, "dev", link);
      await inside("link", "set", link, "up");
      await inside("link", "set", "lo", "up");
      await inside("route", "add", "224.0.0.0/4", "dev", link);
      hosts.push({
        hostAddress: `${subnet}.${2 - index}`,
        guestAddress: address,
        inside: (command: string[]) => ["ip", "netns", "exec", name, ...command],
        remove: () => ip("netns", "delete", name).catch(() => {}),
      });
    }
    return { a: hosts[0], b: hosts[1], remove: async () => void (await removeAll()) };
  } catch (error) {
    await removeAll();
    throw error;
  }
}
