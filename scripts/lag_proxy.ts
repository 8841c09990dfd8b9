/**
 * A TCP relay that holds every chunk for a while before passing it on, in both directions: a
 * database on another machine, for B12's searches (`bun scripts/lag_proxy.ts TARGET_PORT
 * DELAY_MS`). It listens on a free port of 127.0.0.1, prints that port on one line, and relays
 * to 127.0.0.1:TARGET_PORT until it is killed. Chunks keep their order: each one waits the
 * same time, and timers of equal delay fire in the order they were set.
 */
import * as net from "node:net";
import process from "node:process";

const [targetText, delayText] = process.argv.slice(2);
const target = Number(targetText);
const delay = Number(delayText);
if (!Number.isInteger(target) || !(delay >= 0)) {
  process.stderr.write("usage: lag_proxy.ts TARGET_PORT DELAY_MS\n");
  process.exit(2);
}

/**
 * Passes what `from` reads to `to`, each chunk `delay` ms later; ends `to` after the last. (A
 * write after `to` closed fails on `to`'s own error handler; `destroyed` is no guard, as Deno
 * reports a socket still connecting as destroyed.)
 */
function relay(from: net.Socket, to: net.Socket): void {
  from.on("data", (chunk) => setTimeout(() => to.write(chunk), delay));
  from.on("end", () => setTimeout(() => to.end(), delay));
  from.on("error", () => to.destroy());
}

const server = net.createServer((client) => {
  const upstream = net.connect(target, "127.0.0.1");
  relay(client, upstream);
  relay(upstream, client);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`);
});
