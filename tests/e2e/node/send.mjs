// Sends one identify, track, page, screen and group through @segment/analytics-node, with only
// the host changed, then flushes. Usage: node send.mjs HOST WRITE_KEY TAG
import { Analytics } from '@segment/analytics-node'

const [host, writeKey, tag] = process.argv.slice(2)
const analytics = new Analytics({ writeKey, host, flushAt: 5, maxRetries: 1 })
const errors = []
analytics.on('error', (err) => errors.push(String(err && (err.reason || err.message || err.code || err))))
const userId = `${tag}-user`
analytics.identify({ userId, traits: { email: `${tag}@example.com`, firstName: 'Node' } })
analytics.track({ userId, event: 'Order Completed', properties: { tag, revenue: 3 } })
analytics.page({ userId, category: 'Docs', name: 'Install', properties: { tag } })
analytics.screen({ userId, name: 'Home', properties: { tag } })
analytics.group({ userId, groupId: `${tag}-org`, traits: { name: 'Org', tag } })
await analytics.closeAndFlush({ timeout: 20000 })
if (errors.length) {
  console.error(JSON.stringify(errors))
  process.exit(1)
}
console.log('sent')
