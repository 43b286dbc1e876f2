// The team's handler: shows that the organisation's preload ran before it.
export const handler = async (event) => ({
  ok: true,
  echo: event,
  logContext: globalThis.orgLogContext ?? null,
  orgService: process.env.ORG_SERVICE ?? null,
})
