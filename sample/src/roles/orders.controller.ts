import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { Auth, AuthContext, HasAnyRole, Roles, UserPassesTest, type RequestContext } from 'nestjs-warden';
import type { PublicUser } from '../users/users.service.js';

/**
 * A predicate of your own. The token says who is staff, but the user store has the last word:
 * a user demoted since the login is refused at once, before the token expires. `user()` loads
 * the user (once per request, through the userLoader) only because the predicate calls it.
 */
const StaffInTheStore = UserPassesTest<PublicUser>(async (_context, user) => (await user()).isStaff === true);

/** Roles, read from the token's `roles` claim (no database access), which TokenService issues from `AuthUser.roles`. */
@Controller('orders')
export class OrdersController {
  /** Clerks only (bob): every listed role is needed. 403 `permission_denied` for others. */
  @Roles('clerk')
  @Get()
  list(@AuthContext() context: RequestContext): { orders: string[]; for: string | null } {
    return { orders: ['order-1', 'order-2'], for: context.userId };
  }

  /** Any one of the roles (alice is an admin). */
  @Auth({ guards: [HasAnyRole('admin', 'manager')] })
  @Delete(':id')
  @HttpCode(200)
  remove(@Param('id') id: string): { deleted: string } {
    return { deleted: id };
  }

  /** Staff, as the user store says now (alice). */
  @Auth({ guards: [StaffInTheStore] })
  @Get('ledger')
  ledger(): { ledger: string } {
    return { ledger: 'balanced' };
  }
}
