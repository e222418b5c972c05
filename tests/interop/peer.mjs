// A tiny fediverse server built with Fedify, driven over stdin/stdout with
// JSON lines, so that Python tests can check that an Aushang board
// interoperates with a real, independent ActivityPub implementation.
//
//   node peer.mjs --port 9443 --cert cert.pem --key key.pem
//
// stdout carries only JSON events (one per line); logs go to stderr.
// Node trusts the test CA through NODE_EXTRA_CA_CERTS.  The peer listens on
// 127.0.0.1 only and talks only to the addresses the test gives it.

import { AsyncLocalStorage } from "node:async_hooks";
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

import { configure, getTextFormatter } from "@logtape/logtape";
import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Announce,
  Create,
  Delete,
  Endpoints,
  Follow,
  getTypeId,
  isActor,
  Person,
  Reject,
  Undo,
  Update,
} from "@fedify/vocab";

const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
const USERNAME = "alice";

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    cert: { type: "string" },
    key: { type: "string" },
  },
});
if (!args.cert || !args.key) {
  process.stderr.write("usage: node peer.mjs --port P --cert FILE --key FILE\n");
  process.exit(2);
}

// ---------------------------------------------------------------- output

function emit(event) {
  process.stdout.write(JSON.stringify(event) + "\n");
}

const formatter = getTextFormatter();
await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: { stderr: (record) => process.stderr.write(formatter(record)) },
  loggers: [
    {
      category: "fedify",
      sinks: ["stderr"],
      lowestLevel: process.env.PEER_LOG_LEVEL ?? "info",
    },
    { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "warning" },
  ],
});

// ---------------------------------------------------------------- state

const keyPairs = [
  await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  await generateCryptoKeyPair("Ed25519"),
];
// Documents alice published (activities she sent, objects of raw sends),
// served at their ids so that remote servers (and Fedify itself, when it
// re-fetches a cross-origin embedded object) can dereference them.
const published = new Map(); // pathname -> JSON-LD document
const follows = new Map(); // followed actor id -> Follow activity
let lastRemoteActor = null; // the actor most recently looked up or followed

// ---------------------------------------------------------------- helpers

function text(value) {
  return value == null ? null : String(value);
}

function href(value) {
  if (value == null) return null;
  if (value instanceof URL) return value.href;
  if (value.href instanceof URL) return value.href.href; // a Link
  if (value.id instanceof URL) return value.id.href;
  return String(value);
}

function typeName(object) {
  const id = getTypeId(object);
  if (id == null) return null;
  return id.hash ? id.hash.slice(1) : id.href.split("/").pop();
}

async function safely(fn) {
  try {
    return await fn();
  } catch (error) {
    return { error: String(error?.message ?? error) };
  }
}

async function describeLink(item) {
  return {
    type: typeName(item),
    name: text(item.name),
    href: href(item.href ?? item.id),
  };
}

/** Reports the fields Fedify's vocabulary classes parsed from a document. */
async function describe(object) {
  if (object == null) return null;
  if (object instanceof URL) return { id: object.href };
  const out = { type: typeName(object), id: href(object.id) };
  const get = (name) => {
    try {
      return object[name];
    } catch {
      return undefined;
    }
  };
  const simple = {
    name: text(get("name")),
    content: text(get("content")),
    summary: text(get("summary")),
    mediaType: get("mediaType") ?? null,
    sensitive: get("sensitive") ?? null,
    published: text(get("published")),
    updated: text(get("updated")),
    startTime: text(get("startTime")),
    endTime: text(get("endTime")),
    url: href(get("url")),
    attributedTo: get("attributionIds")?.map(href) ?? [],
    to: get("toIds")?.map(href) ?? [],
    cc: get("ccIds")?.map(href) ?? [],
    inReplyTo: href(get("replyTargetId")),
    repliesId: href(get("repliesId")),
  };
  Object.assign(out, simple);
  out.attributedTo0 = out.attributedTo[0] ?? null;
  if (typeof object.getTags === "function") {
    out.tags = await safely(async () => {
      const tags = [];
      for await (const tag of object.getTags({ suppressError: true })) {
        tags.push(await describeLink(tag));
      }
      return tags;
    });
  }
  if (typeof object.getAttachments === "function") {
    out.attachments = await safely(async () => {
      const items = [];
      for await (const item of object.getAttachments({ suppressError: true })) {
        items.push({
          type: typeName(item),
          name: text(item.name),
          mediaType: item.mediaType ?? null,
          url: href(item.url),
          value: text(item.value),
        });
      }
      return items;
    });
  }
  if (get("locationId") !== undefined || typeof object.getLocation === "function") {
    out.location = await safely(async () => {
      const place = await object.getLocation({ suppressError: true });
      return place == null ? null : { type: typeName(place), name: text(place.name) };
    });
    // More of the Place than `location` (kept to type and name for older tests).  Fedify's
    // Place has no `address`: `address` reports what Fedify parsed, i.e. null.
    out.place = await safely(async () => {
      const place = await object.getLocation({ suppressError: true });
      if (place == null) return null;
      return {
        type: typeName(place),
        id: href(place.id),
        name: text(place.name),
        address: text(place.address),
        latitude: place.latitude ?? null,
        longitude: place.longitude ?? null,
      };
    });
  }
  if (isActor(object)) {
    Object.assign(out, {
      preferredUsername: text(object.preferredUsername),
      inbox: href(object.inboxId),
      outbox: href(object.outboxId),
      followers: href(object.followersId),
      following: href(object.followingId),
      featured: href(object.featuredId),
      sharedInbox: href(object.endpoints?.sharedInbox),
      publicKeyId: href(object.publicKeyId),
      manuallyApprovesFollowers: object.manuallyApprovesFollowers ?? null,
      discoverable: object.discoverable ?? null,
      aliases: object.aliasIds?.map(href) ?? [],
      movedTo: href(object.successorId),
    });
    out.publicKey = await safely(async () => {
      const key = await object.getPublicKey({ suppressError: true });
      if (key == null) return null;
      return {
        id: href(key.id),
        owner: href(key.ownerId),
        algorithm: key.publicKey?.algorithm?.name ?? null,
      };
    });
  }
  if (typeof object.getExclusiveOptions === "function") {
    const options = async (method) => {
      const items = [];
      for await (const option of object[method]({ suppressError: true })) {
        const replies = await option.getReplies({ suppressError: true });
        items.push({ name: text(option.name), totalItems: replies?.totalItems ?? null });
      }
      return items;
    };
    out.oneOf = await safely(() => options("getExclusiveOptions"));
    out.anyOf = await safely(() => options("getInclusiveOptions"));
    out.votersCount = object.voters ?? null;
    out.closed = object.closed == null ? null : String(object.closed);
  }
  if ("totalItems" in object) out.totalItems = get("totalItems") ?? null;
  if (object instanceof Activity) {
    out.actor = href(object.actorId);
    out.objectId = href(object.objectId);
  }
  out.json = await safely(() => object.toJsonLd());
  return out;
}

function signatureHeaders(request) {
  const h = request.headers;
  let scheme = "none";
  if (h.has("signature-input")) scheme = "rfc9421";
  else if (h.has("signature")) scheme = "draft-cavage";
  else if (h.has("authorization") && /^signature /i.test(h.get("authorization"))) {
    scheme = "draft-cavage";
  }
  let keyId = null;
  const raw = h.get("signature") ?? h.get("authorization") ?? "";
  const m = /keyId="([^"]+)"/.exec(raw) ?? /keyid="([^"]+)"/.exec(h.get("signature-input") ?? "");
  if (m) keyId = m[1];
  return { scheme, keyId };
}

// ---------------------------------------------------------------- server

const cert = readFileSync(args.cert);
const key = readFileSync(args.key);
let federation = null;
let base = null;

const server = createServer({ cert, key }, async (req, res) => {
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, `https://${req.headers.host ?? `${args.host}:${args.port}`}`);
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    }
    const hasBody = !["GET", "HEAD"].includes(req.method) && body.length > 0;
    const request = new Request(url, {
      method: req.method,
      headers,
      body: hasBody ? body : undefined,
    });
    const response = await handle(request, hasBody ? body.toString("utf8") : null);
    const responseHeaders = {};
    response.headers.forEach((value, name) => {
      responseHeaders[name] = value;
    });
    const payload = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, responseHeaders);
    res.end(payload);
  } catch (error) {
    process.stderr.write(`peer: request failed: ${error?.stack ?? error}\n`);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end("internal error in the interop peer\n");
  }
});

async function handle(request, rawBody = null) {
  if (federation == null) return new Response("starting\n", { status: 503 });
  const url = new URL(request.url);
  if (request.method === "GET" && published.has(url.pathname)) {
    return new Response(JSON.stringify(published.get(url.pathname)), {
      headers: { "content-type": "application/activity+json" },
    });
  }
  return await federation.fetch(request, {
    contextData: {
      signature: signatureHeaders(request),
      // the body as received, so tests can see what Fedify's vocabulary has no property for
      body: rawBody,
    },
  });
}

await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(Number(args.port), args.host, resolve);
});
const port = server.address().port;
base = `https://${args.host}:${port}`;

federation = createFederation({
  kv: new MemoryKvStore(),
  origin: base,
  // The board under test lives on 127.0.0.1; never use this in production.
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Alice (Fedify interop peer)",
      summary: "A test actor run by Aushang's interop tests.",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .mapHandle((_ctx, username) => (username === USERNAME ? USERNAME : null))
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === USERNAME ? keyPairs : []));

async function reportInbox(ctx, activity) {
  // Fedify calls inbox listeners only for activities whose HTTP signature
  // (or Linked Data signature / Object Integrity Proof) it verified.
  const event = {
    event: "inbox",
    type: typeName(activity),
    id: href(activity.id),
    actor: href(activity.actorId),
    recipient: ctx.recipient,
    target: href(activity.targetId),
    verified: true,
    signature: ctx.data?.signature ?? null,
  };
  const object = await safely(() => activity.getObject({ suppressError: false }));
  if (object && object.error) {
    event.object = { id: href(activity.objectId) };
    event.objectError = object.error;
  } else {
    event.object = await describe(object);
  }
  event.json = await safely(() => activity.toJsonLd());
  event.raw = await safely(() => JSON.parse(ctx.data?.body ?? "null"));
  emit(event);
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, reportInbox)
  .on(Reject, reportInbox)
  .on(Create, reportInbox)
  .on(Update, reportInbox)
  .on(Delete, reportInbox)
  .on(Announce, reportInbox)
  .on(Undo, reportInbox)
  .on(Follow, reportInbox)
  .on(Activity, reportInbox)
  .onUnverifiedActivity((ctx, activity, reason) => {
    emit({
      event: "inbox-unverified",
      type: typeName(activity),
      id: href(activity.id),
      actor: href(activity.actorId),
      reason: safeJson(reason),
      signature: ctx.data?.signature ?? null,
    });
  })
  .onError((_ctx, error) => {
    emit({ event: "inbox-error", message: String(error?.message ?? error) });
  });

function safeJson(value) {
  try {
    return JSON.parse(
      JSON.stringify(value, (_k, v) => (v instanceof URL ? v.href : v instanceof Error ? String(v) : v)),
    );
  } catch {
    return String(value);
  }
}

// ---------------------------------------------------------------- commands

function context() {
  return federation.createContext(new URL(base), {});
}

function aliceUri() {
  return new URL(`${base}/users/${USERNAME}`);
}

async function resolveActor(ctx, id) {
  const actor = await ctx.lookupObject(id);
  if (!isActor(actor)) {
    throw new Error(`${id} did not resolve to an actor (got ${actor == null ? "null" : typeName(actor)})`);
  }
  lastRemoteActor = actor;
  return actor;
}

function publish(json) {
  const id = json?.id;
  if (typeof id === "string" && id.startsWith(base + "/")) {
    published.set(new URL(id).pathname, json);
  }
}

async function recipientFor(ctx, cmd) {
  if (cmd.inbox) {
    const inbox = new URL(cmd.inbox);
    return { id: new URL(cmd.recipient ?? cmd.inbox), inboxId: inbox, endpoints: null };
  }
  if (cmd.recipient) return await resolveActor(ctx, cmd.recipient);
  if (lastRemoteActor != null) return lastRemoteActor;
  throw new Error("no recipient: give 'recipient' (actor id) or 'inbox', or look an actor up first");
}

const commands = {
  async lookup(cmd) {
    const ctx = context();
    const handle = cmd.handle ?? cmd.id ?? cmd.url;
    const actor = await ctx.lookupObject(handle);
    if (actor == null) throw new Error(`lookupObject(${handle}) returned null`);
    if (isActor(actor)) lastRemoteActor = actor;
    const described = await describe(actor);
    let webfinger = null;
    if (typeof handle === "string" && !/^https?:/.test(handle)) {
      const acct = "acct:" + handle.replace(/^@/, "");
      webfinger = await safely(async () => safeJson(await ctx.lookupWebFinger(acct)));
    }
    return { event: "lookup", ok: true, ...described, webfinger };
  },

  async fetch(cmd) {
    const ctx = context();
    const options = {};
    if (cmd.signed) {
      options.documentLoader = await ctx.getDocumentLoader({ identifier: USERNAME });
    }
    const object = await ctx.lookupObject(cmd.url, options);
    if (object == null) throw new Error(`lookupObject(${cmd.url}) returned null`);
    return { event: "fetch", ok: true, ...(await describe(object)) };
  },

  async follow(cmd) {
    const ctx = context();
    const target = await resolveActor(ctx, cmd.actor);
    const follow = new Follow({
      id: new URL(`${base}/follows/${randomUUID()}`),
      actor: aliceUri(),
      object: target.id,
    });
    publish(await follow.toJsonLd());
    follows.set(target.id.href, follow);
    await ctx.sendActivity({ identifier: USERNAME }, target, follow);
    return { event: "sent", type: "Follow", id: follow.id.href, to: target.id.href };
  },

  async "undo-follow"(cmd) {
    const ctx = context();
    const target = await resolveActor(ctx, cmd.actor);
    const follow = follows.get(target.id.href);
    if (follow == null) throw new Error(`alice has not followed ${target.id.href}`);
    const undo = new Undo({
      id: new URL(`${base}/undos/${randomUUID()}`),
      actor: aliceUri(),
      object: follow,
    });
    publish(await undo.toJsonLd());
    await ctx.sendActivity({ identifier: USERNAME }, target, undo);
    follows.delete(target.id.href);
    return { event: "sent", type: "Undo", id: undo.id.href, to: target.id.href };
  },

  async send(cmd) {
    const ctx = context();
    const json = { ...cmd.activity };
    if (json["@context"] == null) json["@context"] = AS_CONTEXT;
    if (json.id == null) json.id = `${base}/activities/${randomUUID()}`;
    if (json.actor == null) json.actor = aliceUri().href;
    if (json.object && typeof json.object === "object" && !Array.isArray(json.object)) {
      publish({ "@context": json["@context"], ...json.object });
    }
    publish(json);
    const activity = await Activity.fromJsonLd(json, {
      documentLoader: ctx.documentLoader,
      contextLoader: ctx.contextLoader,
    });
    const recipient = await recipientFor(ctx, cmd);
    await ctx.sendActivity({ identifier: USERNAME }, recipient, activity, {
      preferSharedInbox: cmd.preferSharedInbox ?? false,
    });
    return {
      event: "sent",
      type: typeName(activity),
      id: json.id,
      to: href(recipient.id),
    };
  },

  async load(cmd) {
    // Dereference a URL with Fedify's document loader (what lookupObject uses) and report
    // the document, or, as an error event, Fedify's FetchError (e.g. "HTTP 410: <url>").
    const ctx = context();
    const loader = cmd.signed
      ? await ctx.getDocumentLoader({ identifier: USERNAME })
      : ctx.documentLoader;
    const { document, documentUrl } = await loader(cmd.url);
    return { event: "loaded", ok: true, url: documentUrl, document };
  },

  async publish(cmd) {
    // Serve a document (e.g. a Note alice wrote) without sending anything.
    publish(cmd.object);
    return { event: "published", id: cmd.object?.id ?? null };
  },

  async ping() {
    return { event: "pong" };
  },

  async quit() {
    setTimeout(() => process.exit(0), 10);
    return { event: "bye" };
  },
};

async function run(line) {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (error) {
    emit({ event: "error", cmd: null, message: `invalid JSON: ${error.message}` });
    return;
  }
  const name = cmd?.cmd;
  const ref = cmd?.ref;
  const handler = Object.hasOwn(commands, name) ? commands[name] : null;
  if (handler == null) {
    emit({ event: "error", cmd: name ?? null, ref, message: `unknown command ${JSON.stringify(name)}` });
    return;
  }
  try {
    const result = await handler(cmd);
    emit(ref === undefined ? result : { ...result, ref });
  } catch (error) {
    emit({
      event: "error",
      cmd: name,
      ref,
      message: String(error?.message ?? error),
      detail: safeJson(error?.cause ?? null),
    });
    process.stderr.write(`peer: command ${name} failed: ${error?.stack ?? error}\n`);
  }
}

const stdin = createInterface({ input: process.stdin, terminal: false });
stdin.on("line", (line) => {
  if (line.trim()) run(line);
});
stdin.on("close", () => {
  server.close();
  process.exit(0);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));

emit({ event: "ready", base, actor: aliceUri().href, handle: `@${USERNAME}@${args.host}:${port}` });
