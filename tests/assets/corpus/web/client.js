// Front-end client with FAKE keys
const OPENAI_KEY = "sk-FAKEfakeFAKEfakeFAKET3BlbkFJFAKEfakeFAKEfakeFAKE";
const discordToken = 'MFAKEFAKEFAKEFAKEFAKEFAKE.FAKEfk.FAKEFAKEFAKEFAKEFAKEFAKEFAK';
const square = "sq0csp-FAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAK";
const password = "fake-js-password";
export default { OPENAI_KEY, discordToken, square, password };
