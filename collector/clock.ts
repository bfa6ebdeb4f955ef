// Time as a dependency: production uses the system clock, tests inject their own.
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
