/**
 * CrashFS (RELIABILITY.md tier 1): an in-memory FileSystem that keeps, per file and per folder,
 * what is durable and what is not, and produces the images a power loss could leave behind.
 */
import * as path from "node:path";
import type { FileSystem, OpenMode } from "../../lib/runtime/file_system.ts";
import { SeededRandom } from "./seeded_random.ts";

interface FileNode {
  kind: "file";
  data: Uint8Array;
}
interface DirNode {
  kind: "dir";
  entries: Map<string, number>;
}
type Node = FileNode | DirNode;

/** One change not yet synced: file data (write, truncate) or a folder entry (link, unlink, rename). */
type Change =
  | { inode: number; type: "write"; offset: number; bytes: Uint8Array }
  | { inode: number; type: "truncate"; length: number }
  | { inode: number; type: "link"; name: string; target: number }
  | { inode: number; type: "unlink"; name: string }
  | { inode: number; type: "rename"; from: string; to: string };

/** How an image keeps a write that it does not keep whole. */
type PartialWrite = { kind: "torn"; bytes: number } | { kind: "zeros" } | { kind: "random" };

/** Per inode, how many of its unsynced changes survive, and what is left of the next write. */
interface Plan {
  label: string;
  counts: Map<number, number>;
  partial?: { inode: number; how: PartialWrite };
}

/** A post-crash state: a fresh CrashFS in which everything is durable. */
export interface CrashImage {
  label: string;
  fs: CrashFS;
}

/** What every operation throws once the simulated machine has lost power. */
export class CrashError extends Error {
  readonly code = "ECRASH";
}

const ROOT = 0;
const NEWLINE = 10;

function fsError(code: string, op: string, file: string): Error {
  return Object.assign(new Error(`${code}: ${op} "${file}"`), { code });
}

function cloneNode(node: Node): Node {
  return node.kind === "file"
    ? { kind: "file", data: node.data.slice() }
    : { kind: "dir", entries: new Map(node.entries) };
}

function writeAt(data: Uint8Array, offset: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(data.length, offset + bytes.length));
  out.set(data);
  out.set(bytes, offset);
  return out;
}

function resize(data: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(data.subarray(0, Math.min(length, data.length)));
  return out;
}

function applyChange(node: Node, change: Change): void {
  if (node.kind === "file") {
    if (change.type === "write") node.data = writeAt(node.data, change.offset, change.bytes);
    else if (change.type === "truncate") node.data = resize(node.data, change.length);
    return;
  }
  if (change.type === "link") node.entries.set(change.name, change.target);
  else if (change.type === "unlink") node.entries.delete(change.name);
  else if (change.type === "rename") {
    const target = node.entries.get(change.from);
    node.entries.delete(change.from);
    if (target !== undefined) node.entries.set(change.to, target);
  }
}

/** Garbage without `\n`: what a grown file may hold where its data never reached the disk. */
function garbage(length: number, how: PartialWrite, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  if (how.kind !== "random") return out;
  const random = new SeededRandom(seed);
  for (let i = 0; i < length; i++) {
    const byte = random.int(0, 255);
    out[i] = byte === NEWLINE ? 0x7e : byte;
  }
  return out;
}

/** The simulated file system; see the module doc. Paths are absolute POSIX paths. */
export class CrashFS implements FileSystem {
  /** Durable state of every inode; `#live` is what the running process sees. */
  #durable = new Map<number, Node>();
  #live = new Map<number, Node>();
  #changes: Change[] = [];
  #nextInode = 1;
  #fds = new Map<number, { inode: number; mode: OpenMode; position: number }>();
  #nextFd = 3;
  #operations = 0;
  /** Times of last modification set with `setMtime` (the rest are 0); never lost in a crash. */
  #mtimes = new Map<number, number>();
  readonly #crashAt: number;
  #crashed = false;

  /** `crashAt`: the operation (counted from 0) at which power is lost; every later one fails too. */
  constructor(options: { crashAt?: number } = {}) {
    this.#crashAt = options.crashAt ?? Infinity;
    const root: DirNode = { kind: "dir", entries: new Map() };
    this.#durable.set(ROOT, root);
    this.#live.set(ROOT, cloneNode(root));
  }

  /** Operations performed (or attempted, the crashing one included). */
  get operations(): number {
    return this.#operations;
  }

  /** Whether the simulated power loss has happened. */
  get crashed(): boolean {
    return this.#crashed;
  }

  /** Changes not yet made durable. */
  get unsynced(): number {
    return this.#changes.length;
  }

  /** Writes a durable file (and its folders) without counting operations: test setup. */
  seed(file: string, bytes: Uint8Array): void {
    let dir = ROOT;
    const parts = file.split("/").filter((p) => p !== "");
    for (const [index, name] of parts.entries()) {
      const last = index === parts.length - 1;
      let inode = (this.#live.get(dir) as DirNode).entries.get(name);
      if (inode === undefined) {
        inode = this.#nextInode++;
        const node: Node = last
          ? { kind: "file", data: bytes.slice() }
          : { kind: "dir", entries: new Map() };
        this.#durable.set(inode, node);
        this.#live.set(inode, cloneNode(node));
        for (const map of [this.#durable, this.#live]) {
          (map.get(dir) as DirNode).entries.set(name, inode);
        }
      } else if (last) {
        this.#durable.set(inode, { kind: "file", data: bytes.slice() });
        this.#live.set(inode, { kind: "file", data: bytes.slice() });
      }
      dir = inode;
    }
  }

  /** The bytes a running process would read at `file`, or null; not an operation. */
  peek(file: string): Uint8Array | null {
    const inode = this.#lookup(file);
    const node = inode === undefined ? undefined : this.#live.get(inode);
    return node?.kind === "file" ? node.data.slice() : null;
  }

  /** The names in a folder as a running process sees them, or null; not an operation. */
  list(dir: string): string[] | null {
    const inode = this.#lookup(dir);
    const node = inode === undefined ? undefined : this.#live.get(inode);
    return node?.kind === "dir" ? [...node.entries.keys()].sort() : null;
  }

  open(file: string, mode: OpenMode): number {
    this.#step();
    let inode = this.#lookup(file);
    if (inode !== undefined && (mode === "append_new" || mode === "create_exclusive")) {
      throw fsError("EEXIST", "open", file);
    }
    if (inode === undefined) {
      if (mode === "read" || mode === "directory" || mode === "append") {
        throw fsError("ENOENT", "open", file);
      }
      const { dir, name } = this.#parent(file, "open");
      inode = this.#nextInode++;
      this.#durable.set(inode, { kind: "file", data: new Uint8Array() });
      this.#live.set(inode, { kind: "file", data: new Uint8Array() });
      dir.entries.set(name, inode);
      this.#change({ inode: this.#inodeOf(dir), type: "link", name, target: inode });
    }
    const node = this.#live.get(inode)!;
    if (mode === "directory" && node.kind !== "dir") throw fsError("ENOTDIR", "open", file);
    if (mode !== "directory" && node.kind === "dir") throw fsError("EISDIR", "open", file);
    const fd = this.#nextFd++;
    this.#fds.set(fd, { inode, mode, position: 0 });
    return fd;
  }

  write(fd: number, data: Uint8Array): number {
    this.#step();
    const open = this.#fd(fd, "write");
    if (open.mode === "read" || open.mode === "directory") throw fsError("EBADF", "write", "");
    const node = this.#live.get(open.inode) as FileNode;
    const offset = open.mode === "create_exclusive" ? open.position : node.data.length;
    const bytes = data.slice();
    node.data = writeAt(node.data, offset, bytes);
    open.position = offset + bytes.length;
    this.#change({ inode: open.inode, type: "write", offset, bytes });
    return bytes.length;
  }

  read(fd: number, into: Uint8Array, position: number): number {
    this.#step();
    const node = this.#live.get(this.#fd(fd, "read").inode)!;
    if (node.kind !== "file") throw fsError("EISDIR", "read", "");
    const part = node.data.subarray(position, position + into.length);
    into.set(part);
    return part.length;
  }

  size(fd: number): number {
    this.#step();
    const node = this.#live.get(this.#fd(fd, "size").inode)!;
    return node.kind === "file" ? node.data.length : 0;
  }

  mtime(fd: number): number {
    this.#step();
    return this.#mtimes.get(this.#fd(fd, "mtime").inode) ?? 0;
  }

  setMtime(fd: number, ms: number): void {
    this.#step();
    this.#mtimes.set(this.#fd(fd, "setMtime").inode, ms);
  }

  fdatasync(fd: number): void {
    this.fsync(fd);
  }

  /** The sync happens after the caller's synchronous work, as a real one on a thread would. */
  fdatasyncAsync(fd: number): Promise<void> {
    return Promise.resolve().then(() => this.fdatasync(fd));
  }

  fsync(fd: number): void {
    this.#step();
    const inode = this.#fd(fd, "fsync").inode;
    this.#durable.set(inode, cloneNode(this.#live.get(inode)!));
    this.#changes = this.#changes.filter((change) => change.inode !== inode);
  }

  truncate(fd: number, length: number): void {
    this.#step();
    const open = this.#fd(fd, "truncate");
    if (open.mode === "read" || open.mode === "directory") throw fsError("EBADF", "truncate", "");
    const node = this.#live.get(open.inode) as FileNode;
    node.data = resize(node.data, length);
    this.#change({ inode: open.inode, type: "truncate", length });
  }

  close(fd: number): void {
    this.#step();
    this.#fd(fd, "close");
    this.#fds.delete(fd);
  }

  rename(from: string, to: string): void {
    this.#step();
    const source = this.#parent(from, "rename");
    const target = this.#parent(to, "rename");
    const inode = source.dir.entries.get(source.name);
    if (inode === undefined) throw fsError("ENOENT", "rename", from);
    const existing = target.dir.entries.get(target.name);
    if (existing !== undefined && this.#live.get(existing)!.kind === "dir") {
      throw fsError("EISDIR", "rename", to);
    }
    if (source.dir === target.dir) {
      source.dir.entries.delete(source.name);
      source.dir.entries.set(target.name, inode);
      this.#change({
        inode: this.#inodeOf(source.dir),
        type: "rename",
        from: source.name,
        to: target.name,
      });
      return;
    }
    source.dir.entries.delete(source.name);
    target.dir.entries.set(target.name, inode);
    this.#change({ inode: this.#inodeOf(source.dir), type: "unlink", name: source.name });
    this.#change({
      inode: this.#inodeOf(target.dir),
      type: "link",
      name: target.name,
      target: inode,
    });
  }

  unlink(file: string): void {
    this.#step();
    const { dir, name } = this.#parent(file, "unlink");
    const inode = dir.entries.get(name);
    if (inode === undefined) throw fsError("ENOENT", "unlink", file);
    if (this.#live.get(inode)!.kind === "dir") throw fsError("EISDIR", "unlink", file);
    dir.entries.delete(name);
    this.#change({ inode: this.#inodeOf(dir), type: "unlink", name });
  }

  mkdir(dir: string): string | undefined {
    this.#step();
    let current = ROOT;
    let first: string | undefined;
    let sofar = "";
    for (const name of dir.split("/").filter((p) => p !== "")) {
      sofar += `/${name}`;
      const node = this.#live.get(current) as DirNode;
      let inode = node.entries.get(name);
      if (inode === undefined) {
        inode = this.#nextInode++;
        this.#durable.set(inode, { kind: "dir", entries: new Map() });
        this.#live.set(inode, { kind: "dir", entries: new Map() });
        node.entries.set(name, inode);
        this.#change({ inode: current, type: "link", name, target: inode });
        first ??= sofar;
      } else if (this.#live.get(inode)!.kind !== "dir") {
        throw fsError("ENOTDIR", "mkdir", sofar);
      }
      current = inode;
    }
    return first;
  }

  readdir(dir: string): string[] {
    this.#step();
    const inode = this.#lookup(dir);
    if (inode === undefined) throw fsError("ENOENT", "readdir", dir);
    const node = this.#live.get(inode)!;
    if (node.kind !== "dir") throw fsError("ENOTDIR", "readdir", dir);
    return [...node.entries.keys()].sort();
  }

  /**
   * What a process restarted without power loss sees (every change kept), as a new CrashFS
   * that loses power at its operation `crashAt`.
   */
  restarted(options: { crashAt?: number } = {}): CrashFS {
    const counts = new Map<number, number>();
    for (const change of this.#changes) {
      counts.set(change.inode, (counts.get(change.inode) ?? 0) + 1);
    }
    return this.#materialize({ label: "restart", counts }, 0, options.crashAt);
  }

  /**
   * The images a power loss at this moment may leave: only what was synced; every prefix of
   * the unsynced changes (a torn, zero-filled or garbage-filled version of the next write);
   * file data without folder changes and the reverse; `reorders` random mixes in which the
   * changes of different files and folders survive independently.
   */
  images(options: { seed: number; reorders: number }): CrashImage[] {
    const random = new SeededRandom(options.seed);
    const plans: Plan[] = [];
    const changes = this.#changes;
    const total = new Map<number, number>();
    for (const change of changes) total.set(change.inode, (total.get(change.inode) ?? 0) + 1);
    const counts = new Map<number, number>();
    for (let k = 0; k <= changes.length; k++) {
      plans.push({ label: `prefix ${k}/${changes.length}`, counts: new Map(counts) });
      const next = changes[k];
      if (next === undefined) break;
      if (next.type === "write" && next.bytes.length > 0) {
        const n = next.bytes.length;
        const cuts = new Set([1, Math.floor(n / 2), n - 1].filter((c) => c > 0 && c < n));
        for (const cut of cuts) {
          plans.push({
            label: `prefix ${k} + write torn at ${cut}/${n}`,
            counts: new Map(counts),
            partial: { inode: next.inode, how: { kind: "torn", bytes: cut } },
          });
        }
        for (const kind of ["zeros", "random"] as const) {
          plans.push({
            label: `prefix ${k} + write grown with ${kind}`,
            counts: new Map(counts),
            partial: { inode: next.inode, how: { kind } },
          });
        }
      }
      counts.set(next.inode, (counts.get(next.inode) ?? 0) + 1);
    }
    const isDir = (inode: number) => this.#live.get(inode)?.kind === "dir";
    const only = (dirs: boolean) => new Map([...total].filter(([inode]) => isDir(inode) === dirs));
    plans.push({ label: "file data kept, folder changes dropped", counts: only(false) });
    plans.push({ label: "folder changes kept, file data dropped", counts: only(true) });
    for (let r = 0; r < options.reorders && total.size > 1; r++) {
      const mix = new Map<number, number>();
      for (const [inode, n] of total) mix.set(inode, random.int(0, n));
      plans.push({ label: `reordered mix ${r}`, counts: mix });
    }
    const seen = new Set<string>();
    const images: CrashImage[] = [];
    for (const plan of plans) {
      const key = JSON.stringify([[...plan.counts].filter(([, n]) => n > 0).sort(), plan.partial]);
      if (seen.has(key)) continue;
      seen.add(key);
      images.push({ label: plan.label, fs: this.#materialize(plan, random.int(0, 2 ** 31)) });
    }
    return images;
  }

  #materialize(plan: Plan, seed: number, crashAt?: number): CrashFS {
    const image = new CrashFS(crashAt === undefined ? {} : { crashAt });
    image.#nextInode = this.#nextInode;
    image.#mtimes = new Map(this.#mtimes);
    for (const [inode, node] of this.#durable) image.#durable.set(inode, cloneNode(node));
    const applied = new Map<number, number>();
    for (const change of this.#changes) {
      const done = applied.get(change.inode) ?? 0;
      const node = image.#durable.get(change.inode)!;
      if (done < (plan.counts.get(change.inode) ?? 0)) {
        applyChange(node, change);
        applied.set(change.inode, done + 1);
      } else if (
        plan.partial?.inode === change.inode && change.type === "write" && node.kind === "file" &&
        !applied.has(-change.inode - 1)
      ) {
        applied.set(-change.inode - 1, 1);
        const how = plan.partial.how;
        const bytes = how.kind === "torn"
          ? change.bytes.subarray(0, how.bytes)
          : garbage(change.bytes.length, how, seed);
        node.data = writeAt(node.data, change.offset, bytes);
      }
    }
    for (const [inode, node] of image.#durable) image.#live.set(inode, cloneNode(node));
    return image;
  }

  #step(): void {
    const index = this.#operations++;
    if (this.#crashed || index >= this.#crashAt) {
      this.#crashed = true;
      throw new CrashError(`Simulated power loss at operation ${index}`);
    }
  }

  #change(change: Change): void {
    this.#changes.push(change);
  }

  #fd(fd: number, op: string): { inode: number; mode: OpenMode; position: number } {
    const open = this.#fds.get(fd);
    if (open === undefined) throw fsError("EBADF", op, String(fd));
    return open;
  }

  #inodeOf(dir: DirNode): number {
    for (const [inode, node] of this.#live) if (node === dir) return inode;
    throw new Error("CrashFS: folder not found");
  }

  #lookup(file: string): number | undefined {
    let inode: number | undefined = ROOT;
    for (const name of path.resolve(file).split("/").filter((p) => p !== "")) {
      const node: Node | undefined = this.#live.get(inode);
      if (node?.kind !== "dir") return undefined;
      inode = node.entries.get(name);
      if (inode === undefined) return undefined;
    }
    return inode;
  }

  #parent(file: string, op: string): { dir: DirNode; name: string } {
    const resolved = path.resolve(file);
    const inode = this.#lookup(path.dirname(resolved));
    const node = inode === undefined ? undefined : this.#live.get(inode);
    if (node === undefined) throw fsError("ENOENT", op, file);
    if (node.kind !== "dir") throw fsError("ENOTDIR", op, file);
    return { dir: node, name: path.basename(resolved) };
  }
}
