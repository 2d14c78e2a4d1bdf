// An independent ActivityPub peer for the test suite, built on Fedify.
//
//     node peer.mjs PORT
//
// Serves one actor, http://127.0.0.1:PORT/users/fedi, whose inboxes check HTTP signatures
// for real, and next to it, on the same port:
//
//   GET  /admin/health                      {"ok": true}
//   GET  /admin/log                         everything the inboxes and /verify/inbox saw
//   GET  /admin/lookup?q=URL[&signed=1]     Fedify's lookupObject, as JSON-LD
//   GET  /admin/follow?target=URL           send Follow; returns its id
//   GET  /admin/unfollow?target=URL         send Undo(Follow)
//   GET  /admin/note?target=URL&text=...    send a public Create(Note) mentioning the target
//   GET  /admin/like?object=URL&target=URL  send Like(object) to the target actor's inbox
//   GET  /admin/unlike?object=URL&target=URL send Undo of that Like
//   GET  /admin/verify-proof?url=URL        fetch a JSON document and check every FEP-8b32
//                                           proof in it (and in embedded objects) with
//                                           Fedify's verifyProof
//   POST /verify/inbox                      202 if Fedify accepts the request's HTTP
//                                           signature, else 401 with the reason
//
// Admin answers are JSON: 200 on success, else 4xx/5xx with {"error": ..., "details": [...]}.
// tests/peers/fedify.py starts this program and drives it.

import { AsyncLocalStorage } from "node:async_hooks";
import { createServer } from "node:http";
import { Temporal } from "@js-temporal/polyfill";
import { configure } from "@logtape/logtape";
import {
  createFederation,
  generateCryptoKeyPair,
  getDocumentLoader,
  verifyProof,
  MemoryKvStore,
  verifyRequestDetailed,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Announce,
  Create,
  DataIntegrityProof,
  Delete,
  Endpoints,
  Follow,
  isActor,
  Like,
  Mention,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Undo,
  Update,
} from "@fedify/vocab";

const HOST = "127.0.0.1";
const ME = "fedi";
const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error("usage: node peer.mjs PORT");
  process.exit(2);
}
const origin = `http://${HOST}:${port}`;

// ------------------------------------------------------------------------------ state

const entries = []; // what /admin/log returns
const following = new Map(); // actor id -> the Follow we sent
const followers = new Map(); // actor id -> actor (a Recipient for Fedify)
const notes = new Map(); // uuid -> Note we published
const outbox = []; // activities we sent, oldest first

// Each HTTP request runs with its own store: its raw JSON body, Fedify's debug messages
// (which explain signature failures) and whether it added to the log.
const current = new AsyncLocalStorage();

function record(entry) {
  const store = current.getStore();
  if (store) store.recorded = true;
  const full = { seq: entries.length + 1, at: new Date().toISOString(), ...entry };
  entries.push(full);
  const { raw: _raw, ...brief } = full;
  console.log(`[peer] ${JSON.stringify(brief)}`);
  return full;
}

const typeName = (o) => o.constructor.typeId?.href.split(/[#/]/).pop() ?? o.constructor.name;
const newId = (kind) => new URL(`/${kind}/${crypto.randomUUID()}`, origin);
const details = () => (current.getStore()?.debug ?? []).slice(-30);

function describe(reason) {
  if (reason.type === "keyFetchError") {
    const r = reason.result;
    const why = "status" in r ? `HTTP ${r.status}` : String(r.error);
    return `keyFetchError: could not fetch ${reason.keyId?.href} (${why})`;
  }
  return reason.keyId ? `${reason.type} (keyId ${reason.keyId.href})` : reason.type;
}

// ------------------------------------------------------------------------------ logging

function render(message) {
  return message
    .map((part, i) => {
      if (i % 2 === 0 || typeof part === "string") return part;
      if (part instanceof Error) return String(part);
      try {
        return JSON.stringify(part);
      } catch {
        return String(part);
      }
    })
    .join("")
    .slice(0, 600);
}

await configure({
  contextLocalStorage: new AsyncLocalStorage(), // Fedify adds context to its log records
  sinks: {
    peer(rec) {
      const store = current.getStore();
      const loud = ["warning", "error", "fatal"].includes(rec.level);
      if (!store && !loud) return;
      const line = `${rec.level} ${rec.category.join(".")}: ${render(rec.message)}`;
      if (!rec.category.includes("kv-cache")) store?.debug.push(line);
      if (loud) console.log(`[fedify] ${line}`);
    },
  },
  loggers: [
    { category: "fedify", sinks: ["peer"], lowestLevel: "debug" },
    { category: ["logtape", "meta"], sinks: ["peer"], lowestLevel: "warning" },
  ],
});

// ------------------------------------------------------------------------------ federation

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin,
  allowPrivateAddress: true, // everything runs on 127.0.0.1; signatures are still verified
});

// RSA signs HTTP requests; Ed25519 signs object proofs (FEP-8b32). New on every start.
const keyPairs = [
  await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  await generateCryptoKeyPair("Ed25519"),
];

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== ME) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      summary: "An independent ActivityPub peer for the fediverse-skills tests",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === ME ? keyPairs : []));

federation.setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) =>
  identifier === ME ? { items: [...followers.values()] } : null,
);

federation.setOutboxDispatcher("/users/{identifier}/outbox", (_ctx, identifier) =>
  identifier === ME ? { items: [...outbox].reverse() } : null,
);

federation.setObjectDispatcher(Note, "/notes/{id}", (_ctx, values) => notes.get(values.id) ?? null);

// ------------------------------------------------------------------------------ inbox

async function receive(ctx, activity) {
  const entry = {
    kind: "inbox",
    type: typeName(activity),
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? null,
    inbox: ctx.recipient ?? "shared",
    raw: current.getStore()?.raw ?? null,
  };
  if (activity instanceof Create) {
    try {
      const object = await activity.getObject(ctx);
      entry.object = object?.id?.href ?? entry.object;
      entry.objectType = object ? typeName(object) : null;
      entry.content = object?.content?.toString() ?? null;
    } catch (error) {
      entry.objectError = String(error); // e.g. an object given by id that cannot be fetched
    }
  }
  record(entry);
}

async function onFollow(ctx, follow) {
  await receive(ctx, follow);
  if (follow.objectId?.href !== ctx.getActorUri(ME).href) return;
  const follower = await follow.getActor(ctx);
  if (follower?.id == null) throw new Error(`cannot fetch the follower ${follow.actorId?.href}`);
  followers.set(follower.id.href, follower);
  const accept = new Accept({ id: newId("accepts"), actor: ctx.getActorUri(ME), object: follow });
  // Answer after the Follow's delivery has been acknowledged, as real servers do.
  setTimeout(() => deliver(ctx, follower, accept).catch(() => {}), 50);
}

async function onUndo(ctx, undo) {
  await receive(ctx, undo);
  const object = await undo.getObject(ctx).catch(() => null);
  if (object instanceof Follow && object.objectId?.href === ctx.getActorUri(ME).href) {
    followers.delete(undo.actorId?.href);
  }
}

const inbox = federation.setInboxListeners("/users/{identifier}/inbox", "/inbox");
for (const type of [Accept, Reject, Create, Update, Delete, Like, Announce]) {
  inbox.on(type, receive);
}
inbox
  .on(Follow, onFollow)
  .on(Undo, onUndo)
  .on(Activity, receive) // any other activity type
  .onUnverifiedActivity((_ctx, activity, reason) => {
    record({
      kind: "unverified",
      type: typeName(activity),
      id: activity.id?.href ?? null,
      actor: activity.actorId?.href ?? null,
      reason: describe(reason),
      details: details(),
      raw: current.getStore()?.raw ?? null,
    });
  })
  .onError((_ctx, error) => {
    record({ kind: "error", error: String(error), details: details() });
  });

// ------------------------------------------------------------------------------ sending

class AdminError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function deliver(ctx, recipient, activity) {
  const entry = { type: typeName(activity), id: activity.id.href, to: recipient.inboxId?.href };
  try {
    await ctx.sendActivity({ identifier: ME }, recipient, activity);
  } catch (error) {
    record({ kind: "send-error", ...entry, error: String(error), details: details() });
    throw new AdminError(502, `delivery of ${entry.type} to ${entry.to} failed: ${error}`);
  }
  outbox.push(activity);
  record({ kind: "sent", ...entry, object: activity.objectId?.href ?? null });
}

async function lookup(ctx, target, signed) {
  if (!target) throw new AdminError(400, "missing URL parameter");
  const options = signed ? { documentLoader: await ctx.getDocumentLoader({ identifier: ME }) } : {};
  let object;
  try {
    object = await ctx.lookupObject(target, options);
  } catch (error) {
    throw new AdminError(502, `lookup of ${target} failed: ${error}`);
  }
  if (object == null) throw new AdminError(404, `lookup of ${target} found nothing`);
  return object;
}

async function lookupActor(ctx, target) {
  const actor = await lookup(ctx, target, false);
  if (!isActor(actor) || actor.id == null) {
    throw new AdminError(422, `${target} is a ${typeName(actor)}, not an actor`);
  }
  return actor;
}

const escapeHtml = (s) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

const likes = new Map(); // object URL -> the Like we sent

// Every object carrying a `proof` in a JSON tree, with the @context in force where it sits.
function signedObjects(node, context, found = []) {
  if (Array.isArray(node)) {
    for (const item of node) signedObjects(item, context, found);
  } else if (node && typeof node === "object") {
    const here = node["@context"] ?? context;
    if (node.proof) found.push({ ...node, "@context": here });
    for (const [key, value] of Object.entries(node)) {
      if (key !== "proof" && key !== "@context") signedObjects(value, here, found);
    }
  }
  return found;
}

async function checkProofs(url) {
  const response = await fetch(url, { headers: { Accept: "application/activity+json" } });
  if (!response.ok) throw new AdminError(502, `GET ${url} answered ${response.status}`);
  const results = [];
  for (const doc of signedObjects(await response.json(), undefined)) {
    delete doc.signature; // an LD signature is not covered by the object proof
    const opts = { documentLoader: verifierLoader, contextLoader: verifierLoader };
    for (const raw of Array.isArray(doc.proof) ? doc.proof : [doc.proof]) {
      const outcome = { id: doc.id ?? null, cryptosuite: raw.cryptosuite ?? null };
      try {
        const proof = await DataIntegrityProof.fromJsonLd({ "@context": doc["@context"], ...raw }, opts);
        const key = await verifyProof(doc, proof, opts);
        outcome.verified = key != null;
        outcome.key = key?.id?.href ?? null;
      } catch (error) {
        outcome.verified = false;
        outcome.error = String(error?.message ?? error).slice(0, 200);
      }
      results.push(outcome);
    }
  }
  return results;
}

const adminRoutes = {
  "/admin/health": () => ({ ok: true }),

  "/admin/like": async (ctx, params) => {
    const actor = await lookupActor(ctx, params.get("target"));
    const object = new URL(params.get("object"));
    const like = new Like({ id: newId("likes"), actor: ctx.getActorUri(ME), object });
    await deliver(ctx, actor, like);
    likes.set(object.href, like);
    return { id: like.id.href, to: actor.inboxId?.href ?? null };
  },

  "/admin/unlike": async (ctx, params) => {
    const actor = await lookupActor(ctx, params.get("target"));
    const like = likes.get(new URL(params.get("object")).href);
    if (!like) throw new AdminError(409, "that object was not liked");
    const undo = new Undo({ id: newId("undos"), actor: ctx.getActorUri(ME), object: like });
    await deliver(ctx, actor, undo);
    likes.delete(like.objectId.href);
    return { id: undo.id.href, like: like.id.href };
  },

  "/admin/verify-proof": async (_ctx, params) => ({ results: await checkProofs(params.get("url")) }),

  "/admin/log": () => entries,

  "/admin/lookup": async (ctx, params) => {
    const object = await lookup(ctx, params.get("q"), params.get("signed") === "1");
    return await object.toJsonLd();
  },

  "/admin/follow": async (ctx, params) => {
    const actor = await lookupActor(ctx, params.get("target"));
    const follow = new Follow({ id: newId("follows"), actor: ctx.getActorUri(ME), object: actor.id });
    await deliver(ctx, actor, follow);
    following.set(actor.id.href, follow);
    return { id: follow.id.href, to: actor.inboxId?.href ?? null };
  },

  "/admin/unfollow": async (ctx, params) => {
    const actor = await lookupActor(ctx, params.get("target"));
    const follow = following.get(actor.id.href);
    if (!follow) throw new AdminError(409, `${actor.id.href} was not followed`);
    const undo = new Undo({ id: newId("undos"), actor: ctx.getActorUri(ME), object: follow });
    await deliver(ctx, actor, undo);
    following.delete(actor.id.href);
    return { id: undo.id.href, follow: follow.id.href, to: actor.inboxId?.href ?? null };
  },

  "/admin/note": async (ctx, params) => {
    const actor = await lookupActor(ctx, params.get("target"));
    const text = params.get("text") ?? "Hello from Fedify";
    const handle = `@${actor.preferredUsername ?? "someone"}@${actor.id.host}`;
    const uuid = crypto.randomUUID();
    const me = ctx.getActorUri(ME);
    const audience = { to: PUBLIC_COLLECTION, ccs: [actor.id, ctx.getFollowersUri(ME)] };
    const published = Temporal.Now.instant();
    const note = new Note({
      id: ctx.getObjectUri(Note, { id: uuid }),
      attribution: me,
      ...audience,
      content:
        `<p><a href="${escapeHtml(actor.id.href)}" class="mention">${escapeHtml(handle)}</a> ` +
        `${escapeHtml(text)}</p>`,
      tags: [new Mention({ href: actor.id, name: handle })],
      published,
    });
    notes.set(uuid, note);
    const create = new Create({
      id: new URL(`${note.id.href}/activity`),
      actor: me,
      ...audience,
      object: note,
      published,
    });
    await deliver(ctx, actor, create);
    return { id: note.id.href, activity: create.id.href, to: actor.inboxId?.href ?? null };
  },
};

// ------------------------------------------------------------------------------ verifier

const verifierLoader = getDocumentLoader({ allowPrivateAddress: true });

async function verifyInbox(request) {
  const spec = request.headers.has("signature-input") ? "rfc9421" : "draft-cavage-http-signatures-12";
  const activity = current.getStore().raw;
  let result;
  try {
    result = await verifyRequestDetailed(request, {
      documentLoader: verifierLoader,
      contextLoader: verifierLoader,
      spec,
    });
  } catch (error) {
    result = { verified: false, reason: { type: `error: ${error}` } };
  }
  const outcome = { kind: "verify", verified: result.verified, spec };
  if (result.verified) {
    outcome.keyId = result.key.id?.href ?? null;
    outcome.owner = result.key.ownerId?.href ?? null;
  } else {
    outcome.reason = describe(result.reason);
    outcome.details = details();
  }
  if (activity && typeof activity === "object") {
    outcome.type = activity.type ?? null;
    outcome.id = activity.id ?? null;
    outcome.actor = typeof activity.actor === "string" ? activity.actor : (activity.actor?.id ?? null);
  }
  outcome.raw = activity;
  const { raw: _raw, kind: _kind, ...answer } = record(outcome);
  return Response.json(answer, { status: result.verified ? 202 : 401 });
}

// ------------------------------------------------------------------------------ HTTP

function toRequest(req, body) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const url = new URL(req.url, `http://${req.headers.host ?? `${HOST}:${port}`}`);
  const hasBody = !["GET", "HEAD"].includes(req.method);
  return new Request(url, { method: req.method, headers, body: hasBody ? body : undefined });
}

function parseJson(body) {
  try {
    return body.length ? JSON.parse(body.toString("utf8")) : null;
  } catch {
    return null;
  }
}

async function route(req, body) {
  const url = new URL(req.url, origin);
  const store = current.getStore();
  if (url.pathname.startsWith("/admin/")) {
    const handler = adminRoutes[url.pathname];
    if (!handler) return Response.json({ error: `no such admin path ${url.pathname}` }, { status: 404 });
    try {
      const ctx = federation.createContext(new URL(origin), undefined);
      return Response.json(await handler(ctx, url.searchParams));
    } catch (error) {
      const status = error instanceof AdminError ? error.status : 500;
      return Response.json({ error: String(error.message ?? error), details: details() }, { status });
    }
  }
  store.raw = parseJson(body);
  const request = toRequest(req, body);
  if (url.pathname === "/verify/inbox") {
    if (req.method !== "POST") return Response.json({ error: "POST only" }, { status: 405 });
    return await verifyInbox(request);
  }
  const response = await federation.fetch(request, { contextData: undefined });
  if (req.method === "POST" && response.status >= 400 && !store.recorded) {
    // Refused before any listener ran: a signer who is not the actor, an unparsable
    // body, an unknown inbox...
    const text = (await response.clone().text()).slice(0, 500);
    const raw = store.raw && typeof store.raw === "object" ? store.raw : {};
    record({
      kind: response.status === 401 ? "unverified" : "error",
      type: raw.type ?? null,
      id: raw.id ?? null,
      actor: typeof raw.actor === "string" ? raw.actor : (raw.actor?.id ?? null),
      path: url.pathname,
      status: response.status,
      [response.status === 401 ? "reason" : "error"]: text,
      details: details(),
      raw: store.raw,
    });
  }
  return response;
}

const server = createServer((req, res) => {
  const store = { raw: null, debug: [], recorded: false };
  current.run(store, async () => {
    let response;
    try {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      response = await route(req, Buffer.concat(chunks));
    } catch (error) {
      console.log(`[peer] ${req.method} ${req.url} failed: ${error?.stack ?? error}`);
      response = Response.json({ error: String(error) }, { status: 500 });
    }
    console.log(`[peer] ${req.method} ${req.url} -> ${response.status}`);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
});

server.on("error", (error) => {
  console.error(`fedify-peer: ${error}`);
  process.exit(1);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

server.listen(port, HOST, () => console.log(`fedify-peer listening on ${origin}`));
