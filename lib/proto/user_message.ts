/**
 * `user_input` (SPEC §4): turns the op's items into one user `message`, reading each
 * `local_image` and embedding it as a data URL. Fails as a value; records nothing itself.
 */
import { Buffer } from "node:buffer";
import * as path from "node:path";
import { nodeFileSystem, readAll } from "../runtime/mod.ts";
import { ioError, type OpSchemas, type ResponseItem, RolloutError } from "../schemas/mod.ts";
import type { z } from "zod";

type UserInputItem = z.infer<typeof OpSchemas.user_input>["items"][number];

/** Image types a local image may have, by lower-case file extension. */
export const IMAGE_TYPES: Readonly<Record<string, string>> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".bmp": "image/bmp",
  ".svg": "image/svg+xml",
};

/**
 * `data:<mime>;base64,...` for the image file at `file` (resolved against `cwd`). Only a regular
 * file is read (a FIFO would wait for a writer forever, a device never end), and only when its
 * data URL fits in `maxBytes`: a larger image is refused before it is read (`line_too_long`).
 */
export function imageDataUrl(
  file: string,
  options: { cwd: string; where: string; maxBytes: number },
): string {
  const mime = IMAGE_TYPES[path.extname(file).toLowerCase()];
  if (mime === undefined) {
    throw new RolloutError(
      "invalid_argument",
      `${options.where}: "${file}" is not an image (expected ${
        Object.keys(IMAGE_TYPES).join(", ")
      })`,
    );
  }
  const target = path.resolve(options.cwd, file);
  const head = `data:${mime};base64,`;
  let bytes: Uint8Array;
  try {
    const fd = nodeFileSystem.open(target, "read");
    try {
      const size = nodeFileSystem.size(fd);
      const encoded = head.length + 4 * Math.ceil(size / 3);
      if (encoded > options.maxBytes) {
        throw new RolloutError(
          "line_too_long",
          `${options.where}: the image "${target}" is ${size} bytes, ${encoded} as a data URL, above the limit of ${options.maxBytes} bytes for a record`,
        );
      }
      bytes = readAll(nodeFileSystem, fd);
    } finally {
      nodeFileSystem.close(fd);
    }
  } catch (error) {
    if (error instanceof RolloutError) throw error;
    const failure = ioError("read image", target, error);
    throw new RolloutError(failure.code, `${options.where}: ${failure.message}`, { cause: error });
  }
  return head + Buffer.from(bytes).toString("base64");
}

/** The user message that records `items`; throws a {@linkcode RolloutError} on bad input. */
export function userMessage(
  items: readonly UserInputItem[],
  options: { cwd: string; maxLineBytes: number },
): ResponseItem {
  if (items.length === 0) {
    throw new RolloutError("invalid_argument", "op.items: expected at least one item");
  }
  const content = items.map((item, index) => {
    switch (item.type) {
      case "text":
        return { type: "input_text", text: item.text };
      case "image":
        return { type: "input_image", image_url: item.image_url };
      case "local_image":
        return {
          type: "input_image",
          image_url: imageDataUrl(item.path, {
            cwd: options.cwd,
            where: `op.items[${index}].path`,
            maxBytes: options.maxLineBytes,
          }),
        };
    }
  });
  return { type: "message", role: "user", content };
}
