import { Controller, Get, Param } from '@nestjs/common';
import { ApiKeyAuthentication, Auth } from 'nestjs-warden';

export const BILLING_KEY = 'billing-key-for-the-swagger-test';

/** API keys of the billing module: its routes take these and nothing else. */
export const billingKeys = new ApiKeyAuthentication({ keys: [BILLING_KEY], header: 'x-billing-key' });

/** Same class name and method names as the analytics module's controller, other paths. */
@Auth({ authentication: [billingKeys] })
@Controller('billing/reports')
export class ReportsController {
  @Get()
  list(): { module: string } {
    return { module: 'billing' };
  }

  @Get(':id')
  find(@Param('id') id: string): { module: string; id: string } {
    return { module: 'billing', id };
  }
}
