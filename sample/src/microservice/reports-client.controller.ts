import { Controller, Get, Headers, Param } from '@nestjs/common';
import { ReportsClient, type RemoteReport } from './reports.client.js';

/** An HTTP route that calls the microservice on the caller's behalf, with the caller's own token. */
@Controller('remote')
export class ReportsClientController {
  constructor(private readonly reports: ReportsClient) {}

  /** `curl -H "Authorization: Bearer $TOKEN" localhost:3000/remote/reports/7`: bob and alice 200, carol 403 (from the microservice). */
  @Get('reports/:id')
  find(@Param('id') id: string, @Headers('authorization') authorization?: string): Promise<RemoteReport> {
    return this.reports.find(id, authorization);
  }
}
