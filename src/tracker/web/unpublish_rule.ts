import { unmapIpv4 } from "../../transport/address.ts";
import type { TrackerView } from "./tracker_view.ts";

/** Why an unpublish is refused, with its HTTP status. */
export interface Refusal {
  readonly status: 401 | 403;
  readonly message: string;
}

function isLoopback(ip: string): boolean {
  const address = unmapIpv4(ip);
  return address.startsWith("127.") || address === "::1";
}

/**
 * Who may unpublish: with a publish token, whoever gives it; without one,
 * only the tracker's own machine (a request from loopback), since anyone
 * else could then empty the catalog; and nobody when addresses come from a
 * proxy, whose requests all look local.
 *
 * @returns undefined when allowed.
 * @example
 * ```ts
 * const refusal = unpublishRefusal(view, token, "127.0.0.1"); // undefined: allowed
 * ```
 */
export function unpublishRefusal(
  view: Pick<TrackerView, "tokenRequired" | "tokenMatches" | "trustProxy">,
  token: string | undefined,
  remoteIp: string,
): Refusal | undefined {
  if (view.tokenRequired) {
    return token !== undefined && view.tokenMatches(token)
      ? undefined
      : { status: 401, message: "unpublishing needs the tracker's publish token" };
  }
  if (view.trustProxy) {
    return {
      status: 403,
      message: "this tracker has no publish token and runs behind a proxy: " +
        "start it with --publish-token to unpublish",
    };
  }
  return isLoopback(remoteIp) ? undefined : {
    status: 403,
    message:
      "this tracker has no publish token: torrents can be unpublished only from its own machine",
  };
}
