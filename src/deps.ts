import type { Clock } from "./common/clock.js";
import type { Config } from "./config.js";
import type { Db } from "./db/database.js";

/** What services need from the outside world, passed in so tests can replace the clock. */
export interface Deps {
  db: Db;
  clock: Clock;
  config: Config;
}
