import type { Client } from '@temporalio/client';
import type { ResultsStore } from '../store/results-store';
import type { OidcLogin } from './auth/oidc';
import type { Role, Session, SessionCookies } from './auth/session';
import type { LoginLimit } from './auth/login-limit';
import type { BatchReads } from './batch-reads';

/** What the console's routes share: its settings, its connections, and the request's session. */
export interface ConsoleContext {
  /** The console's URL as people's browsers reach it (its origin is the one forms may come from). */
  publicUrl: string;
  client: Client;
  store: ResultsStore;
  reads: BatchReads;
  sealKey: Buffer;
  cookies: SessionCookies;
  passwords: Partial<Record<Role, string>>;
  oidc?: OidcLogin;
  logins: LoginLimit;
  /** Temporal Web's page for a batch, when Temporal Web is known. */
  webLink(batchId: string): string | undefined;
  log(line: string): void;
}

export type ConsoleEnv = {
  Variables: {
    session: Session;
    /** The session changed: the response writes its cookie again. */
    sessionChanged: boolean;
  };
};
