// The one Store of the collector: repositories over one SQLite database, and transactions.
import { AddressRepo } from "./address-repo.js";
import { AlertRepo } from "./alert-repo.js";
import { FindingRepo } from "./finding-repo.js";
import { JobRepo } from "./job-repo.js";
import { NotificationRepo } from "./notification-repo.js";
import { SilenceRepo } from "./silence-repo.js";
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
  readonly alerts: AlertRepo;
  readonly notifications: NotificationRepo;
  readonly silences: SilenceRepo;
  readonly jobs: JobRepo;
  readonly findings: FindingRepo;

  private constructor(readonly db: Db, readonly file: string) {
    this.tokens = new TokenRepo(db);
    this.hosts = new HostRepo(db);
    this.events = new EventRepo(db);
    this.addresses = new AddressRepo(db);
    this.meta = new MetaRepo(db);
    this.alerts = new AlertRepo(db);
    this.notifications = new NotificationRepo(db);
    this.silences = new SilenceRepo(db);
    this.jobs = new JobRepo(db);
    this.findings = new FindingRepo(db);
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
