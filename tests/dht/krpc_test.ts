import assert from "node:assert/strict";
import { encode } from "../../src/bencode/mod.ts";
import {
  decodeKrpc,
  encodeKrpc,
  KrpcError,
  KrpcErrorCode,
  type KrpcMessage,
  MAX_KRPC_BYTES,
  MAX_NODES_PER_MESSAGE,
  MAX_VALUES_PER_MESSAGE,
} from "../../src/dht/mod.ts";

const text = (s: string) => new TextEncoder().encode(s);
const id = (fill: number) => new Uint8Array(20).fill(fill);
const t = text("aa");

// BEP 5's own examples, byte for byte.
const BEP5_EXAMPLES: [string, string, KrpcMessage][] = [
  [
    "ping query",
    "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
    { kind: "query", t, query: { method: "ping", id: text("abcdefghij0123456789") } },
  ],
  [
    "ping response",
    "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re",
    { kind: "response", t, body: { id: text("mnopqrstuvwxyz123456") } },
  ],
  [
    "find_node query",
    "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe",
    {
      kind: "query",
      t,
      query: {
        method: "find_node",
        id: text("abcdefghij0123456789"),
        target: text("mnopqrstuvwxyz123456"),
      },
    },
  ],
  [
    "get_peers query",
    "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe",
    {
      kind: "query",
      t,
      query: {
        method: "get_peers",
        id: text("abcdefghij0123456789"),
        infoHash: text("mnopqrstuvwxyz123456"),
      },
    },
  ],
  [
    "announce_peer query",
    "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe",
    {
      kind: "query",
      t,
      query: {
        method: "announce_peer",
        id: text("abcdefghij0123456789"),
        infoHash: text("mnopqrstuvwxyz123456"),
        port: 6881,
        impliedPort: true,
        token: text("aoeusnth"),
      },
    },
  ],
  [
    "error",
    "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee",
    { kind: "error", t, code: 201, message: "A Generic Error Ocurred" },
  ],
];

for (const [name, wire, message] of BEP5_EXAMPLES) {
  Deno.test(`krpc: decodes BEP 5's ${name}`, () => {
    assert.deepEqual(decodeKrpc(text(wire)), message);
  });
}

Deno.test("krpc: get_peers answers with values and with nodes round-trip", () => {
  const values = [{ ip: "10.0.0.1", port: 6881 }, { ip: "::1", port: 51413 }];
  const nodes = [
    { id: id(1), endpoint: { ip: "127.0.0.1", port: 6881 } },
    { id: id(2), endpoint: { ip: "192.168.1.9", port: 1 } },
  ];
  for (
    const body of [
      { id: id(9), token: text("tok"), values },
      { id: id(9), token: text("tok"), nodes },
      { id: id(9), token: text("tok"), values, nodes },
    ]
  ) {
    const message: KrpcMessage = { kind: "response", t, body };
    const decoded = decodeKrpc(encodeKrpc(message));
    assert.equal(decoded.kind, "response");
    if (decoded.kind !== "response") return;
    assert.deepEqual(decoded.body.id, body.id);
    assert.deepEqual(decoded.body.token, body.token);
    assert.deepEqual(decoded.body.values, "values" in body ? body.values : undefined);
    assert.deepEqual(decoded.body.nodes, "nodes" in body ? body.nodes : undefined);
  }
});

Deno.test("krpc: every query and the error round-trip through encodeKrpc", () => {
  for (const [, , message] of BEP5_EXAMPLES) {
    if (message.kind === "response") continue;
    assert.deepEqual(decodeKrpc(encodeKrpc(message)), message);
  }
});

Deno.test("krpc: our version goes out as v and unknown keys are ignored", () => {
  const bytes = encodeKrpc(
    { kind: "query", t, query: { method: "ping", id: id(1) } },
    text("P2\0\x01"),
  );
  assert.match(new TextDecoder().decode(bytes), /1:v4:P2/);
  const extra = encode({
    t,
    y: "r",
    r: { id: id(3), nodes6: new Uint8Array(38), p: 5 },
    ip: new Uint8Array(6),
    ro: 1,
  });
  assert.deepEqual(decodeKrpc(extra), { kind: "response", t, body: { id: id(3) } });
});

Deno.test("krpc: announce_peer without implied_port needs a real port; with it, the port may be 0", () => {
  const announce = (args: Record<string, unknown>) =>
    encode({
      t,
      y: "q",
      q: "announce_peer",
      a: { id: id(1), info_hash: id(2), token: text("x"), ...args } as never,
    });
  const ok = decodeKrpc(announce({ implied_port: 1, port: 0 }));
  assert.equal(
    ok.kind === "query" && ok.query.method === "announce_peer" && ok.query.impliedPort,
    true,
  );
  assert.throws(() => decodeKrpc(announce({ port: 0 })), KrpcError);
  assert.throws(() => decodeKrpc(announce({ port: 70000 })), KrpcError);
  assert.throws(() => decodeKrpc(announce({ implied_port: 2, port: 1 })), KrpcError);
});

/** Hostile and malformed datagrams: each refused, with the code to answer (queries only). */
const MALFORMED: [string, Uint8Array, { code?: number; answerable: boolean }][] = [
  ["not bencode", text("d1:t2:aa1:y1:q"), { answerable: false }],
  ["trailing garbage", text("d1:t2:aa1:y1:qeXX"), { answerable: false }],
  ["a list, not a dictionary", text("l1:ae"), { answerable: false }],
  ["no transaction id", encode({ y: "q", q: "ping", a: { id: id(1) } }), { answerable: false }],
  ["an empty transaction id", encode({ t: "", y: "q", q: "ping", a: { id: id(1) } }), {
    answerable: false,
  }],
  [
    "a 17-byte transaction id",
    encode({ t: new Uint8Array(17), y: "q", q: "ping", a: { id: id(1) } }),
    { answerable: false },
  ],
  ["a numeric transaction id", encode({ t: 5, y: "q", q: "ping", a: { id: id(1) } }), {
    answerable: false,
  }],
  ["an unknown y", encode({ t, y: "x" }), { answerable: false }],
  ["an unknown method", encode({ t, y: "q", q: "vote", a: { id: id(1) } }), {
    code: KrpcErrorCode.methodUnknown,
    answerable: true,
  }],
  ["a query without arguments", encode({ t, y: "q", q: "ping" }), {
    code: KrpcErrorCode.protocol,
    answerable: true,
  }],
  ["a 19-byte id", encode({ t, y: "q", q: "ping", a: { id: new Uint8Array(19) } }), {
    code: KrpcErrorCode.protocol,
    answerable: true,
  }],
  ["find_node without target", encode({ t, y: "q", q: "find_node", a: { id: id(1) } }), {
    code: KrpcErrorCode.protocol,
    answerable: true,
  }],
  [
    "get_peers with a short info_hash",
    encode({ t, y: "q", q: "get_peers", a: { id: id(1), info_hash: new Uint8Array(4) } }),
    { code: KrpcErrorCode.protocol, answerable: true },
  ],
  [
    "announce_peer without token",
    encode({ t, y: "q", q: "announce_peer", a: { id: id(1), info_hash: id(2), port: 5 } }),
    { code: KrpcErrorCode.protocol, answerable: true },
  ],
  [
    "announce_peer with a 65-byte token",
    encode({
      t,
      y: "q",
      q: "announce_peer",
      a: { id: id(1), info_hash: id(2), port: 5, token: new Uint8Array(65) },
    }),
    { code: KrpcErrorCode.protocol, answerable: true },
  ],
  ["a response without r", encode({ t, y: "r" }), { answerable: false }],
  ["a response without id", encode({ t, y: "r", r: {} }), { answerable: false }],
  [
    "nodes not a multiple of 26",
    encode({ t, y: "r", r: { id: id(1), nodes: new Uint8Array(27) } }),
    { answerable: false },
  ],
  [
    `${MAX_NODES_PER_MESSAGE + 1} nodes`,
    encode({
      t,
      y: "r",
      r: { id: id(1), nodes: new Uint8Array(26 * (MAX_NODES_PER_MESSAGE + 1)) },
    }),
    { answerable: false },
  ],
  ["values not a list", encode({ t, y: "r", r: { id: id(1), values: new Uint8Array(6) } }), {
    answerable: false,
  }],
  [
    "a 5-byte peer in values",
    encode({ t, y: "r", r: { id: id(1), values: [new Uint8Array(5)] } }),
    { answerable: false },
  ],
  [
    `${MAX_VALUES_PER_MESSAGE + 1} peers (an absurd list)`,
    encode({
      t,
      y: "r",
      r: {
        id: id(1),
        values: Array.from({ length: MAX_VALUES_PER_MESSAGE + 1 }, () => new Uint8Array(6)),
      },
    }),
    { answerable: false },
  ],
  ["a numeric token", encode({ t, y: "r", r: { id: id(1), token: 5 } }), { answerable: false }],
  ["an error without a list", encode({ t, y: "e", e: "oops" }), { answerable: false }],
  ["an error with a text code", encode({ t, y: "e", e: ["201", "x"] }), { answerable: false }],
  [
    `a datagram over ${MAX_KRPC_BYTES} bytes`,
    encode({ t, y: "q", q: "ping", a: { id: id(1), pad: new Uint8Array(MAX_KRPC_BYTES) } }),
    { answerable: false },
  ],
  ["nesting 100 deep", text("d1:t2:aa1:y1:q1:a" + "l".repeat(100) + "e".repeat(100) + "e"), {
    answerable: false,
  }],
];

for (const [name, bytes, expected] of MALFORMED) {
  Deno.test(`krpc: refuses ${name}`, () => {
    assert.throws(() => decodeKrpc(bytes), (error: unknown) => {
      assert.ok(error instanceof KrpcError, `${error}`);
      assert.equal(error.transactionId !== undefined, expected.answerable);
      if (expected.code !== undefined) assert.equal(error.code, expected.code);
      return true;
    });
  });
}

Deno.test("krpc: nodes and peers at port 0 are left out, the rest kept", () => {
  const nodes = new Uint8Array(52);
  nodes.set(id(1), 0);
  nodes.set([127, 0, 0, 1, 0, 0], 20);
  nodes.set(id(2), 26);
  nodes.set([127, 0, 0, 1, 0x1a, 0xe1], 46);
  const message = decodeKrpc(
    encode({ t, y: "r", r: { id: id(3), nodes, values: [new Uint8Array([10, 0, 0, 1, 0, 0])] } }),
  );
  assert.equal(message.kind, "response");
  if (message.kind !== "response") return;
  assert.deepEqual(message.body.nodes, [{ id: id(2), endpoint: { ip: "127.0.0.1", port: 6881 } }]);
  assert.deepEqual(message.body.values, []);
});

Deno.test("krpc: a decoded message owns its bytes (the socket reuses its buffer)", () => {
  const wire = encodeKrpc({
    kind: "query",
    t,
    query: {
      method: "announce_peer",
      id: id(1),
      infoHash: id(2),
      port: 1,
      impliedPort: false,
      token: text("tk"),
    },
  });
  const message = decodeKrpc(wire);
  wire.fill(0);
  assert.deepEqual(message, {
    kind: "query",
    t,
    query: {
      method: "announce_peer",
      id: id(1),
      infoHash: id(2),
      port: 1,
      impliedPort: false,
      token: text("tk"),
    },
  });
});
