import type { RouteSecurity } from './route-security.interface.js';

/**
 * The report as plain text, one line per handler, in the report's order (transport, route,
 * handler), so that a committed snapshot shows in review who can reach what once it changes:
 *
 * ```text
 * # 3 handlers, 1 public
 * http GET /health  HealthController.check  public
 * http GET /orders/:id  OrdersController.find  backends: jwt  guards: IsAuthenticated, HasAllPermissions(orders:read)
 * rpc message "orders.get"  OrdersController.get  backends: jwt  guards: IsAuthenticated
 * ```
 *
 * A handler no guard runs on (a GraphQL field resolver without `fieldResolverEnhancers`)
 * reads `not guarded`, with its warning on the next line.
 *
 * No column is padded, so adding one handler changes one line. Works with Vitest's and
 * Jest's `toMatchSnapshot()` / `toMatchFileSnapshot()`, or a file compared by hand.
 *
 * @example
 * ```ts
 * expect(formatSecurityReport(await securityReport(app))).toMatchSnapshot();
 * ```
 */
export function formatSecurityReport(report: readonly RouteSecurity[]): string {
  const open = report.filter((entry) => entry.public).length;
  const lines = [`# ${report.length} handler${report.length === 1 ? '' : 's'}, ${open} public`];
  for (const entry of report) {
    const decision = entry.public
      ? 'public'
      : entry.guarded
        ? `backends: ${list(entry.backends)}  guards: ${list(entry.guards)}`
        : 'not guarded';
    lines.push(`${entry.transport} ${entry.route}  ${entry.handler}  ${decision}`);
    for (const warning of entry.warnings) lines.push(`  ! ${warning}`);
  }
  return `${lines.join('\n')}\n`;
}

function list(items: readonly string[]): string {
  return items.length === 0 ? '(none)' : items.join(', ');
}
