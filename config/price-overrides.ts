import type { PriceOverrides, PriceWindow } from '../src/pricing/schedule.ts'

/**
 * Juxta's dated price overrides: what @pydantic/genai-prices 0.1.8 gets wrong or lacks. They win over the
 * library and lose to a model's own `price:` in the user's config. Prices are USD per 1M tokens; every
 * instant is UTC; `until` is exclusive. Every entry cites its public source, chiefly DeepSeek's pricing pages
 * (https://api-docs.deepseek.com/quick_start/pricing, https://api-docs.deepseek.com/quick_start/pricing-details-usd)
 * and change log (https://api-docs.deepseek.com/updates); disagreements between sources are marked ⚑.
 *
 * Why DeepSeek: genai-prices 0.1.8 prices `deepseek-chat` / `deepseek-reasoner` at January-2025 rates with
 * the 16:30–00:30 off-peak window on every date (e.g. 0.27/1.10 on 2026-01-01 instead of 0.28/0.42), has
 * nothing for 2025-09-05, 2025-09-29 or the V4 alias period, applies the 2026 V4 peak windows on every day
 * and every date (one library entry cannot combine a date with a time window, and it has no weekdays), and
 * does not know `deepseek-flash`.
 */

const price = (cached_input: number, input: number, output: number) => ({ cached_input, input, output })

// Source for the 2025 off-peak discount: announced 2025-02-26, effective 00:30 Beijing 2025-02-27 (= 16:30 UTC
// 2025-02-26): https://techgethub.com/?p=9801, https://faxianai.com/news/7934.html; table "STANDARD PRICE
// (UTC 00:30-16:30) / DISCOUNT PRICE (UTC 16:30-00:30)" in https://api-docs.deepseek.com/quick_start/pricing
// (Aug 2025 copy). Chat −50 %, reasoner −75 %, both land on 0.035 / 0.135 / 0.55.
const offPeak2025: PriceWindow = {
  label: 'off-peak (16:30–00:30 UTC)',
  start: '16:30',
  end: '00:30',
  price: price(0.035, 0.135, 0.55),
}

// Source for the 2026 scheme: from 2026-08-16 16:00 UTC, peak 01:00–04:00 and 06:00–10:00 UTC (09–12 and
// 14–18 Beijing), Mon–Fri; all other time off-peak at 50 %.
// https://api-docs.deepseek.com/quick_start/pricing/?article_id=article_1779470751466; weekday clause quoted in
// https://github.com/nesquikm/mcp-rubber-duck/issues/143 and #148; start instant in NousResearch/hermes-agent#90187,
// anomalyco/models.dev#4891, ccusage/ccusage#1643.
// ⚑ Disputed: early reports had peak every day; Wei-Shaw/sub2api#6097 and genai-prices date it 2026-08-23;
// one page excludes Chinese public holidays (not modelled). Beijing and UTC weekdays agree inside both windows.
const weekdays: PriceWindow['days'] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri']
const peak2026 = (p: ReturnType<typeof price>): PriceWindow[] => [
  { label: 'peak (01:00–04:00 UTC Mon–Fri)', start: '01:00', end: '04:00', days: weekdays, price: p },
  { label: 'peak (06:00–10:00 UTC Mon–Fri)', start: '06:00', end: '10:00', days: weekdays, price: p },
]
const offPeak2026Label = 'off-peak (outside 01:00–04:00 and 06:00–10:00 UTC Mon–Fri)'

// V3.1 and V3.2 apply to both names (https://api-docs.deepseek.com/updates: 2025-08-21 both names become V3.1;
// 2025-09-29 V3.2-Exp; 2025-12-01 V3.2, "same pricing").
const v31 = {
  // "Starting from 16:00 UTC Time on Sept 5th, 2025 … cancel the nighttime discount":
  // https://api-docs.deepseek.com/quick_start/pricing (Aug 2025 copy).
  from: '2025-09-05T16:00:00Z',
  until: '2025-09-29T00:00:00Z',
  label: 'V3.1',
  price: price(0.07, 0.56, 1.68),
}
const v32 = {
  // "API prices drop 50%+, effective immediately" (DeepSeek news 2025-09-29, quoted at https://skywork.ai/blog/?p=10736);
  // https://benchlm.ai/blog/posts/deepseek-api-pricing. The hour on 2025-09-29 is not documented: 00:00 UTC assumed.
  // ⚑ Vercel's gateway rounds the cache hit to 0.03; the list price is 0.028.
  from: '2025-09-29T00:00:00Z',
  until: '2026-04-24T00:00:00Z',
  label: 'V3.2',
  price: price(0.028, 0.28, 0.42),
}
const v4Alias = {
  // Both names are aliases of deepseek-v4-flash (chat = non-thinking, reasoner = thinking) until retirement at
  // 2026-07-24 15:59 UTC: https://developersdigest.tech/blog/deepseek-chat-to-v4-migration-guide,
  // https://therouter-docs.pages.dev/ru/news/deepseek-v4-api-migration-deprecation-2026/. After that both ids
  // have no price here; a reply that names its real model is priced by that id.
  from: '2026-04-24T00:00:00Z',
  until: '2026-07-24T15:59:00Z',
  label: 'alias of V4-Flash',
  bill_as: 'deepseek-v4-flash',
}

export const priceOverrides: PriceOverrides = {
  deepseek: {
    'deepseek-chat': [
      {
        // V3 launch promo: V3 billed at the V2.5 price until 2025-02-08 24:00 Beijing (16:00 UTC). Pricing
        // footnote 5, mirrored at https://apidog.com/apidoc/docs-site/747793/models-pricing-835236m0 and
        // https://apifox.com/apidoc/docs-site/5435161/ (end instant); https://raw.githubusercontent.com/simonw/llm-prices/main/data/deepseek.json
        // (0.14/0.28 until 2025-02-08); CNY ¥0.1/¥1/¥2 in @lobehub/chat@1.94.11 src/config/modelProviders/deepseek.ts.
        // Starts at the V3 release, 2024-12-26 (https://api-docs.deepseek.com/updates); earlier dates have no price here.
        from: '2024-12-26T00:00:00Z',
        until: '2025-02-08T16:00:00Z',
        label: 'V3 promo',
        price: price(0.014, 0.14, 0.28),
      },
      {
        // V3 list price: https://api-docs.deepseek.com/quick_start/pricing-details-usd (CNY ¥0.5/¥2/¥8).
        from: '2025-02-08T16:00:00Z',
        until: '2025-02-26T16:30:00Z',
        label: 'V3',
        price: price(0.07, 0.27, 1.1),
      },
      {
        // Same list price, plus the nightly discount (source at offPeak2025 above).
        from: '2025-02-26T16:30:00Z',
        until: '2025-09-05T16:00:00Z',
        label: 'standard (00:30–16:30 UTC)',
        price: price(0.07, 0.27, 1.1),
        windows: [offPeak2025],
      },
      v31,
      v32,
      v4Alias,
    ],
    'deepseek-reasoner': [
      {
        // R1 launched 2025-01-20 (https://api-docs.deepseek.com/updates), "not included in the discount" of the V3
        // promo (pricing footnote 5, apidog mirror above); list price https://api-docs.deepseek.com/quick_start/pricing-details-usd
        // (CNY ¥1/¥4/¥16). The launch hour is not documented: 00:00 UTC assumed.
        from: '2025-01-20T00:00:00Z',
        until: '2025-02-26T16:30:00Z',
        label: 'R1',
        price: price(0.14, 0.55, 2.19),
      },
      {
        // Same list price, plus the nightly discount, −75 % for R1 (source at offPeak2025 above).
        from: '2025-02-26T16:30:00Z',
        until: '2025-09-05T16:00:00Z',
        label: 'standard (00:30–16:30 UTC)',
        price: price(0.14, 0.55, 2.19),
        windows: [offPeak2025],
      },
      v31,
      v32,
      v4Alias,
    ],
    'deepseek-v4-flash': [
      {
        // V4 preview 2026-04-24 (https://api-docs.deepseek.com/updates); V4-Flash 0.14/0.28, cache hit 0.028:
        // simonw/llm-prices data/deepseek.json. Hour not documented: 00:00 UTC assumed.
        from: '2026-04-24T00:00:00Z',
        until: '2026-04-26T00:00:00Z',
        label: 'V4-Flash',
        price: price(0.028, 0.14, 0.28),
      },
      {
        // Cache hit cut to 1/10 on 2026-04-26: https://chaobro.com/en/posts/deepseek-api-cache-pricing/;
        // 0.0028/0.14/0.28 in https://github.com/arikusi/deepseek-mcp-server/releases/tag/v2.0.0.
        from: '2026-04-26T00:00:00Z',
        until: '2026-08-16T16:00:00Z',
        label: 'V4-Flash (cache hit 0.0028)',
        price: price(0.0028, 0.14, 0.28),
      },
      {
        // 2026 peak/off-peak scheme (source at peak2026 above): off-peak 0.007/0.22/0.66, peak 0.014/0.44/1.32.
        from: '2026-08-16T16:00:00Z',
        label: offPeak2026Label,
        price: price(0.007, 0.22, 0.66),
        windows: peak2026(price(0.014, 0.44, 1.32)),
      },
    ],
    'deepseek-v4-pro': [
      {
        // V4-Pro launched at 0.145/1.74/3.48 (simonw/llm-prices); a 75 % discount was then made permanent:
        // 0.003625/0.435/0.87 (https://api-docs.deepseek.com/quick_start/pricing?model_version=DeepSeek-V4-Pro-0813).
        // ⚑ The date the discount began is not documented in our sources; the discounted price is applied to the
        // whole period, as genai-prices does for its default entry.
        from: '2026-04-24T00:00:00Z',
        until: '2026-08-16T16:00:00Z',
        label: 'V4-Pro (discounted list price)',
        price: price(0.003625, 0.435, 0.87),
      },
      {
        // 2026 scheme (source at peak2026 above): off-peak 0.022/0.66/1.98, peak 0.044/1.32/3.96.
        from: '2026-08-16T16:00:00Z',
        until: '2026-09-14T00:00:00Z',
        label: offPeak2026Label,
        price: price(0.022, 0.66, 1.98),
        windows: peak2026(price(0.044, 1.32, 3.96)),
      },
      {
        // From 2026-09-14 deepseek-v4-pro requests are routed to V4.1-Flash and billed at its price:
        // https://apidog.com/blog/how-to-use-deepseek-v4-1-flash-api/. Hour not documented: 00:00 UTC assumed.
        from: '2026-09-14T00:00:00Z',
        label: 'routed to V4.1-Flash',
        bill_as: 'deepseek-flash',
      },
    ],
    'deepseek-flash': [
      {
        // V4.1-Flash, id deepseek-flash, from 2026-09-10: peak 0.006/0.30/1.20, off-peak 0.003/0.15/0.60, same
        // peak windows (https://api-docs.deepseek.com/quick_start/pricing?check=20261115). Hour not documented.
        from: '2026-09-10T00:00:00Z',
        label: offPeak2026Label,
        price: price(0.003, 0.15, 0.6),
        windows: peak2026(price(0.006, 0.3, 1.2)),
      },
    ],
  },
}
