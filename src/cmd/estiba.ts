console.log('estiba');
