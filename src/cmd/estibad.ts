console.log('estibad');
