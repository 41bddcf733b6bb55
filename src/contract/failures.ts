/** Failure types the activities raise; the workflow tells them apart by type, never by message. */
export const FailureTypes = {
  TokenExpired: 'TokenExpired',
  /**
   * The sealed token cannot be opened here (wrong or missing key) or the worker has no token: also waits for a refresh.
   */
  TokenUnavailable: 'TokenUnavailable',
  /** A transient answer (429, 5xx, timeout, reset), retried by the activity's retry policy. */
  Transient: 'Transient',
  BadSource: 'BadSource',
  /** The results store could not be reached: retried like a transient answer. */
  StoreUnavailable: 'StoreUnavailable',
  /** The source is not the file the batch started over: the batch pauses, naming it. */
  SourceChanged: 'SourceChanged',
  /** The worker writes to another results store than the batch's: the batch pauses, naming both. */
  StoreMismatch: 'StoreMismatch',
  /** The workers have no token provider: an expired token waits for a person, as before automatic refresh. */
  NoTokenProvider: 'NoTokenProvider',
  /** The token provider refused (a revoked secret, invalid_grant, the same expired token again): a person acts. */
  TokenRefused: 'TokenRefused',
} as const;
