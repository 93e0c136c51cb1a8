import { createApp } from './lib/app';
import { CDK_JSON_CONTEXT } from './test/infra/helpers';
const { app, stack } = createApp({ appProps: { context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } } });
const asm = app.synth();
const t = asm.getStackByName(stack.stackName).template;
const sm = Object.entries<any>(t.Resources).find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')!;
const parts = sm[1].Properties.DefinitionString['Fn::Join'][1].map((x: any) => (typeof x === 'string' ? x : '<' + JSON.stringify(x) + '>')).join('');
console.log(parts);
