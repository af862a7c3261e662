// Listening events wait in IndexedDB until the events API has them: a play made offline (or
// while Encore is down) is sent when the connection returns, never lost, never sent twice
// (each event has an id; the API answers a repeat as a duplicate).
import { api } from "./api.js";

const DB = "encore-player";
const STORE = "outbox";
const BATCH = 100;
let opened = null;
let flushing = null;
const listeners = new Set();

function database() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opened;
}

function transact(mode, work) {
  return database().then(
    (db) =>
      new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const result = work(tx.objectStore(STORE));
        tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      }),
  );
}

export function onOutboxChange(listener) {
  listeners.add(listener);
}

async function changed() {
  const count = await pendingCount();
  for (const listener of listeners) listener(count);
}

export function pendingCount() {
  return transact("readonly", (store) => store.count());
}

export async function record(event) {
  await transact("readwrite", (store) => store.put(event));
  await changed();
  if (navigator.onLine) flush().catch(() => {});
}

function pending() {
  return transact("readonly", (store) => store.getAll(undefined, BATCH));
}

const CLOSING = new Set(["play_ended", "skipped"]);

// Send what waits, batch by batch; stops (keeping the rest) at the first failure to reach
// Encore. Returns how many plays (events that close a play) were taken.
export function flush() {
  if (!flushing) {
    flushing = (async () => {
      let sent = 0;
      for (;;) {
        const events = await pending();
        if (!events.length) break;
        const answer = await api("/api/v1/me/player/events", {
          method: "POST",
          json: { events },
        });
        // Accepted, clamped and duplicate are all "Encore has it"; a rejected event would be
        // rejected again, so it is dropped too (and said in the console).
        for (const status of answer.events || []) {
          if (status.status === "rejected") console.warn("event rejected", status);
        }
        await transact("readwrite", (store) => {
          for (const event of events) store.delete(event.id);
        });
        sent += events.filter((event) => CLOSING.has(event.type)).length;
        await changed();
      }
      return sent;
    })().finally(() => {
      flushing = null;
    });
  }
  return flushing;
}

export function newEventId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}
