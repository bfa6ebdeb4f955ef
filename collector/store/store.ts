// The one Store of the collector: repositories over one SQLite database, and transactions.
import { AddressRepo } from "./address-repo.js";
import { openDb, type Db } from "./db.js";
import { EventRepo } from "./event-repo.js";
import { HostRepo } from "./host-repo.js";
import { MetaRepo } from "./meta-repo.js";
import { TokenRepo } from "./token-repo.js";

export class Store {
  readonly tokens: TokenRepo;
  readonly hosts: HostRepo;
  readonly events: EventRepo;
  readonly addresses: AddressRepo;
  readonly meta: MetaRepo;

  private constructor(readonly db: Db, readonly file: string) {
    this.tokens = new TokenRepo(db);
    this.hosts = new HostRepo(db);
    this.events = new EventRepo(db);
    this.addresses = new AddressRepo(db);
    this.meta = new MetaRepo(db);
  }

  static open(file: string): Store {
    return new Store(openDb(file), file);
  }

  /** Runs fn in one transaction (committed when it returns, rolled back when it throws). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
