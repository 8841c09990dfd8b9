/** The seeded items every parity writer records (the same on every runtime). */
import { type GeneratedItem, generateItem } from "./item_generator.ts";
import { SeededRandom } from "./seeded_random.ts";

/** 30 items from 16 B to 256 KiB of multi-byte text. */
export function parityItems(): GeneratedItem[] {
  const rng = new SeededRandom(7007);
  return Array.from(
    { length: 30 },
    (_, n) => generateItem(rng, `p${n}:`, rng.logInt(16, 256 * 1024)),
  );
}
