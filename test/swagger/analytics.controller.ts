import { Controller, Get, Param } from '@nestjs/common';
import { Public } from 'nestjs-warden';

/** Same class name and method names as the billing module's controller, other paths. */
@Controller({ path: 'reports', version: '2' })
export class ReportsController {
  @Get()
  list(): { module: string } {
    return { module: 'analytics' };
  }

  @Public()
  @Get(':id')
  find(@Param('id') id: string): { module: string; id: string } {
    return { module: 'analytics', id };
  }
}
