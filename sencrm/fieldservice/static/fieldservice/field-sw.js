/* The phone screen's service worker (served at /field/sw.js): the field pages and the static files they use
 * are kept, so that a job opened once still opens without a connection. Pages: network first, else the copy;
 * static files: the copy first. Changes are not cached here: field.js queues them until the connection returns. */
const CACHE = "sen-field-v1";
self.addEventListener("install", (event) => { self.skipWaiting(); });
self.addEventListener("activate", (event) => { event.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(request).then((hit) => hit || fetch(request).then((response) => {
      if (response.ok) cache.put(request, response.clone());
      return response;
    }))));
  } else if (url.pathname.startsWith("/field/") && !url.pathname.startsWith("/field/sync")) {
    event.respondWith(fetch(request).then((response) => {
      if (response.ok) caches.open(CACHE).then((cache) => cache.put(request, response.clone()));
      return response;
    }).catch(() => caches.open(CACHE).then((cache) => cache.match(request)).then((hit) => hit || Response.error())));
  }
});
