import { Controller, Get } from '@nestjs/common';

/** The measured route: a small JSON body, nothing else. */
@Controller()
export class HelloController {
  @Get('hello')
  hello(): { hello: string } {
    return { hello: 'world' };
  }
}
