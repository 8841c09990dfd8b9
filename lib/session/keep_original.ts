/**
 * The original of a rewritten rollout, kept beside it under a second name (`PATH.corrupt-<time>`
 * by repair, `PATH.unredacted-<time>` by redact) before the new content replaces PATH, so a
 * crash at any moment leaves PATH readable and the original kept.
 */
import * as fs from "node:fs";
import { errnoOf, ioError } from "../schemas/mod.ts";

/** Why an original is kept: the suffix of its name. */
export type KeptAs = "corrupt" | "unredacted";

/**
 * Gives `file` a second name beside it (a hard link; a synced copy where links are not
 * possible), `0600` like every rollout file, and returns that name.
 */
export function keepOriginal(file: string, options: { now: Date; as: KeptAs }): string {
  const stamp = options.now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  for (let n = 0; n < 100; n++) {
    const name = `${file}.${options.as}-${stamp}${n === 0 ? "" : `-${n}`}`;
    try {
      fs.linkSync(file, name);
      chmodPrivate(name);
      return name;
    } catch (error) {
      const code = errnoOf(error);
      if (code === "EEXIST") continue;
      if (code !== "EPERM" && code !== "EXDEV" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") {
        throw ioError("keep the original of", file, error);
      }
    }
    copyDurably(file, name);
    return name;
  }
  throw ioError("keep the original of", file, new Error("too many copies"));
}

/** Makes the kept original readable by its owner only: it may hold what PATH no longer does. */
function chmodPrivate(name: string): void {
  try {
    fs.chmodSync(name, 0o600);
  } catch (error) {
    throw ioError("keep the original of", name, error);
  }
}

function copyDurably(from: string, to: string): void {
  try {
    fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL);
    fs.chmodSync(to, 0o600);
    const fd = fs.openSync(to, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw ioError("keep the original of", from, error);
  }
}
