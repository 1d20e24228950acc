import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { definePipeline, tumbling, type ValuesFor } from '../../../core';

describe('definePipeline type inference', () => {
  it('infers event types into aggregate callbacks and result types into alert rules', () => {
    const p = definePipeline({
      name: 'orders',
      schema: z.object({ id: z.string(), customer: z.string(), amount: z.number(), at: z.number() }),
      key: 'customer',
      time: 'at',
      windows: { hourly: tumbling('1h'), daily: tumbling('1d') },
      aggregates: ({ count, sum, distinct, lastN, reducer }) => ({
        orders: count(),
        revenue: sum((e) => e.amount, { windows: ['daily'] }),
        customers: distinct((e) => e.customer, { max: 10, windows: ['hourly'] }),
        recent: lastN((e) => e.amount, 3),
        bytes: reducer({ init: () => 0, add: (s: number, e) => s + e.id.length, merge: (a, b) => a + b }),
      }),
      alerts: (rule) => ({
        big: rule('daily', (a) => {
          expectTypeOf(a.revenue).toEqualTypeOf<number>();
          expectTypeOf(a.recent).toEqualTypeOf<number[]>();
          return a.orders > 3 && a.revenue > 100;
        }),
        spread: rule('hourly', (a) => a.customers.count > 2),
        // @ts-expect-error revenue is computed for the daily window only
        wrong: rule('hourly', (a) => a.revenue > 2),
      }),
    });
    type A = NonNullable<typeof p.$types>['aggregates'];
    expectTypeOf<keyof ValuesFor<A, 'hourly'>>().toEqualTypeOf<'orders' | 'customers' | 'recent' | 'bytes'>();
    expectTypeOf<keyof ValuesFor<A, 'daily'>>().toEqualTypeOf<'orders' | 'revenue' | 'recent' | 'bytes'>();
    expectTypeOf<ValuesFor<A, 'hourly'>['customers']['values']>().toEqualTypeOf<string[]>();
  });
});
