import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { RolloutError } from "../../lib/schemas/errors.ts";
import { imageDataUrl, userMessage } from "../../lib/proto/user_message.ts";
import { tempDir } from "../helpers.ts";

const MAX = 1024 * 1024;

test("imageDataUrl() picks the mime type from the extension, any case", () => {
  const { dir, cleanup } = tempDir();
  try {
    const cases: [string, string][] = [
      ["a.jpg", "image/jpeg"],
      ["b.JPEG", "image/jpeg"],
      ["c.gif", "image/gif"],
      ["d.webp", "image/webp"],
      ["e.png", "image/png"],
      ["f.svg", "image/svg+xml"],
      ["g.bmp", "image/bmp"],
    ];
    for (const [name] of cases) fs.writeFileSync(path.join(dir, name), "hi");
    assert.deepEqual(
      cases.map(([name]) => imageDataUrl(name, { cwd: dir, where: "w", maxBytes: MAX })),
      cases.map(([, mime]) => `data:${mime};base64,aGk=`),
    );
    assert.equal(
      imageDataUrl(path.join(dir, "a.jpg"), { cwd: "/elsewhere", where: "w", maxBytes: MAX }),
      "data:image/jpeg;base64,aGk=",
    );
  } finally {
    cleanup();
  }
});

test("userMessage() fails with a code and the field path of the bad item", () => {
  const { dir, cleanup } = tempDir();
  try {
    const failure = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        assert.ok(error instanceof RolloutError);
        return { code: error.code, message: error.message };
      }
      assert.fail("expected a RolloutError");
    };
    assert.deepEqual(
      failure(() =>
        userMessage([{ type: "local_image", path: "x" }], { cwd: dir, maxLineBytes: MAX })
      ),
      {
        code: "invalid_argument",
        message:
          'op.items[0].path: "x" is not an image (expected .png, .jpg, .jpeg, .gif, .webp, .bmp, .svg)',
      },
    );
    fs.mkdirSync(path.join(dir, "folder.png"));
    const folder = failure(() =>
      userMessage([{ type: "text", text: "t" }, { type: "local_image", path: "folder.png" }], {
        cwd: dir,
        maxLineBytes: MAX,
      })
    );
    assert.equal(folder.code, "io_error");
    // Plain words, then the code and the system call (whose name is the runtime's).
    assert.ok(
      folder.message.startsWith(
        `op.items[1].path: Cannot read image "${
          path.join(dir, "folder.png")
        }": it is a folder (EISDIR`,
      ),
      folder.message,
    );
  } finally {
    cleanup();
  }
});

test("userMessage() makes one user message of the items in order, local images embedded", () => {
  const { dir, cleanup } = tempDir();
  try {
    fs.writeFileSync(path.join(dir, "shot.png"), "png bytes");
    assert.deepEqual(
      userMessage(
        [
          { type: "text", text: "look at" },
          { type: "image", image_url: "https://example.com/a.png" },
          { type: "local_image", path: "shot.png" },
          { type: "text", text: "and this" },
        ],
        { cwd: dir, maxLineBytes: MAX },
      ),
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "look at" },
          { type: "input_image", image_url: "https://example.com/a.png" },
          { type: "input_image", image_url: "data:image/png;base64,cG5nIGJ5dGVz" },
          { type: "input_text", text: "and this" },
        ],
      },
    );
  } finally {
    cleanup();
  }
});

test("userMessage() refuses no items; an image that cannot be read keeps its cause", () => {
  assert.throws(() => userMessage([], { cwd: "/", maxLineBytes: MAX }), (error: unknown) => {
    assert.ok(error instanceof RolloutError);
    assert.deepEqual([error.code, error.message], [
      "invalid_argument",
      "op.items: expected at least one item",
    ]);
    return true;
  });
  const { dir, cleanup } = tempDir();
  try {
    assert.throws(
      () => imageDataUrl("missing.png", { cwd: dir, where: "w", maxBytes: MAX }),
      (error: unknown) => {
        assert.ok(error instanceof RolloutError);
        assert.equal((error.cause as { code?: string }).code, "ENOENT");
        return true;
      },
    );
  } finally {
    cleanup();
  }
});

test("imageDataUrl() reads only a regular file, and refuses one too large before reading it", () => {
  const { dir, cleanup } = tempDir();
  try {
    const refusal = (name: string, maxBytes = MAX) => {
      try {
        imageDataUrl(name, { cwd: dir, where: "op.items[0].path", maxBytes });
      } catch (error) {
        assert.ok(error instanceof RolloutError);
        return { code: error.code, message: error.message };
      }
      assert.fail(`expected ${name} to be refused`);
    };
    // A FIFO with no writer: opening it to read would wait forever.
    const fifo = path.join(dir, "pipe.png");
    const made = process.getBuiltinModule("node:child_process").spawnSync("mkfifo", [fifo]);
    assert.equal(made.status, 0, String(made.stderr));
    const piped = refusal("pipe.png");
    assert.equal(piped.code, "io_error");
    assert.match(
      piped.message,
      /^op\.items\[0\]\.path: Cannot read image ".*pipe\.png": it is not a regular file/,
    );
    // A device never ends: refused the same way (a link to it, as a user might give).
    fs.symlinkSync("/dev/zero", path.join(dir, "zero.png"));
    assert.equal(refusal("zero.png").code, "io_error");
    // 3,000 bytes make a data URL of 22 + 4,000 bytes: over a limit of 4,000.
    fs.writeFileSync(path.join(dir, "big.png"), new Uint8Array(3000));
    assert.deepEqual(refusal("big.png", 4000), {
      code: "line_too_long",
      message: `op.items[0].path: the image "${
        path.join(dir, "big.png")
      }" is 3000 bytes, 4022 as a data URL, above the limit of 4000 bytes for a record`,
    });
    assert.equal(
      imageDataUrl("big.png", { cwd: dir, where: "w", maxBytes: 4022 }).length,
      4022,
    );
  } finally {
    cleanup();
  }
});
