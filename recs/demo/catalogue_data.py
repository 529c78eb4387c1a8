"""The demo shop's product list: one line per product, `name | list price (GBP, 2024) | cycle`.

`cycle` is the typical replenishment cycle in days for a consumable, `-` for a durable bought once,
`xmas` for a seasonal item sold only in November and December. `## Category (SKU prefix)` starts a
category. The list is fixed (it does not depend on the seed), so product ids are stable across demos.
"""

CATALOGUE = """
## Coffee (COF)
Arabica Coffee Beans 1kg | 21.50 | 30
Arabica Coffee Beans 250g | 6.80 | 12
Espresso Blend Beans 1kg | 19.90 | 30
Espresso Blend Beans 500g | 10.90 | 18
Colombian Ground Coffee 250g | 5.90 | 14
Ethiopian Yirgacheffe Beans 250g | 8.50 | 16
Brazil Santos Beans 1kg | 18.50 | 32
Decaf Ground Coffee 250g | 5.50 | 18
House Blend Ground Coffee 500g | 8.90 | 21
French Roast Beans 1kg | 20.50 | 30
Cold Brew Coffee Concentrate 1L | 9.50 | 14
Instant Coffee Granules 200g | 6.20 | 28
Coffee Pods Intenso 50-pack | 14.50 | 21
Coffee Pods Lungo 50-pack | 14.50 | 21
Coffee Pods Decaf 50-pack | 14.50 | 28
Paper Coffee Filters 100-pack | 3.20 | 60
Espresso Machine Descaler 500ml | 8.90 | 90
Vanilla Coffee Syrup 700ml | 6.50 | 45
Caramel Coffee Syrup 700ml | 6.50 | 45
Hazelnut Coffee Syrup 700ml | 6.50 | 45
Mocha Drinking Chocolate 500g | 7.20 | 35
Coffee Gift Sampler Box | 24.00 | xmas
## Tea (TEA)
English Breakfast Tea 80 bags | 3.40 | 21
English Breakfast Tea 240 bags | 8.90 | 45
Earl Grey Tea 80 bags | 3.60 | 28
Green Tea 50 bags | 2.90 | 28
Jasmine Green Tea 50 bags | 3.50 | 30
Peppermint Tea 40 bags | 2.50 | 30
Chamomile Tea 40 bags | 2.50 | 35
Rooibos Tea 80 bags | 3.20 | 35
Darjeeling Loose Leaf Tea 250g | 9.80 | 40
Assam Loose Leaf Tea 250g | 8.20 | 40
Sencha Loose Leaf Tea 100g | 7.50 | 35
Matcha Powder 50g | 12.90 | 40
Chai Spiced Tea 40 bags | 3.30 | 30
Lemon & Ginger Tea 20 bags | 2.20 | 25
Fruit Infusion Selection 40 bags | 3.80 | 35
Oolong Loose Leaf Tea 100g | 9.50 | 45
Decaf Breakfast Tea 80 bags | 3.50 | 30
Iced Tea Peach 1L | 2.40 | 14
Tea Infuser Basket | 6.90 | -
Glass Teapot 1L | 19.90 | -
Cast Iron Teapot | 34.00 | -
Tea Gift Tin Selection | 18.00 | xmas
## Milk & Dairy Alternatives (MLK)
Oat Milk 1L | 1.90 | 10
Oat Milk 6-pack | 10.50 | 14
Barista Oat Milk 6-pack | 12.90 | 14
Almond Milk 1L | 1.80 | 10
Almond Milk 6-pack | 9.90 | 14
Soy Milk 6-pack | 8.90 | 14
Coconut Milk Drink 1L | 2.10 | 10
Lactose-Free Milk 1L | 1.60 | 10
Organic Whole Milk 2L | 2.20 | 10
Greek Yoghurt 500g | 2.40 | 10
Coconut Yoghurt 400g | 3.10 | 10
Oat Yoghurt 500g | 2.60 | 10
Mature Cheddar 400g | 4.20 | 14
Vegan Cheese Slices 200g | 3.20 | 14
Unsalted Butter 250g | 2.60 | 14
Plant Butter 250g | 2.80 | 14
Single Cream 300ml | 1.50 | 14
Oat Cream 250ml | 1.70 | 14
Kefir 500ml | 2.90 | 10
Milk Frother Jug | 9.90 | -
Brandy Butter 200g | 3.50 | xmas
## Bakery & Biscuits (BAK)
Sourdough Loaf 800g | 3.90 | 10
Wholemeal Bread 800g | 1.60 | 10
Seeded Rye Bread 500g | 2.90 | 12
Gluten-Free Bread 400g | 3.20 | 12
Butter Croissants 4-pack | 2.80 | 14
Pain au Chocolat 4-pack | 3.10 | 14
Bagels Plain 5-pack | 2.20 | 14
Crumpets 6-pack | 1.10 | 14
Digestive Biscuits 400g | 1.40 | 21
Chocolate Digestives 300g | 1.90 | 21
Shortbread Fingers 160g | 2.40 | 30
Ginger Nuts 250g | 1.20 | 30
Almond Biscotti 200g | 3.60 | 30
Oat Cookies 200g | 2.10 | 21
Rice Cakes 130g | 1.30 | 21
Oatcakes 250g | 1.80 | 21
Lemon Drizzle Cake | 4.50 | -
Chocolate Brownies 6-pack | 4.20 | -
Panettone 750g | 9.90 | xmas
Mince Pies 6-pack | 2.90 | xmas
Stollen 500g | 6.50 | xmas
## Snacks & Confectionery (SNK)
Sea Salt Crisps 150g | 1.90 | 14
Salt & Vinegar Crisps 150g | 1.90 | 14
Tortilla Chips 200g | 1.70 | 14
Salted Popcorn 100g | 1.50 | 14
Mixed Nuts 400g | 5.90 | 21
Roasted Almonds 200g | 3.80 | 21
Cashew Nuts 300g | 4.90 | 21
Trail Mix 300g | 3.90 | 21
Dark Chocolate 70% 100g | 2.20 | 14
Milk Chocolate Bar 200g | 2.50 | 14
Salted Caramel Chocolate 100g | 2.60 | 14
Protein Bars 12-pack | 17.90 | 30
Oat Bars 6-pack | 3.50 | 14
Hummus 200g | 1.60 | 10
Salsa Dip 300g | 1.80 | 14
Fruit Gums 200g | 1.50 | 21
Liquorice Allsorts 400g | 2.80 | 30
Dried Mango 150g | 3.20 | 21
Chocolate Selection Box | 12.50 | xmas
Chocolate Advent Calendar | 8.00 | xmas
## Breakfast & Cereals (BRK)
Rolled Oats 1kg | 1.90 | 21
Gluten-Free Porridge Oats 1kg | 3.40 | 21
Crunchy Granola 500g | 3.90 | 18
Honey Granola 1kg | 6.50 | 30
Swiss Muesli 750g | 3.60 | 21
Bran Flakes 500g | 2.10 | 21
Cornflakes 500g | 1.90 | 21
Chocolate Hoops 375g | 2.40 | 14
Wheat Biscuits 24-pack | 2.90 | 21
Strawberry Jam 340g | 2.20 | 30
Seville Orange Marmalade 454g | 2.50 | 40
Smooth Peanut Butter 340g | 2.80 | 30
Crunchy Peanut Butter 1kg | 6.90 | 45
Almond Butter 170g | 4.50 | 30
Chocolate Hazelnut Spread 400g | 3.10 | 30
Acacia Honey 340g | 4.90 | 45
Maple Syrup 250ml | 6.80 | 60
Pancake Mix 500g | 2.40 | 30
Orange Juice 1L | 1.80 | 10
Apple Juice 1L | 1.50 | 10
Chia Seeds 300g | 4.20 | 45
## Pantry & Cooking (PAN)
Spaghetti 500g | 1.10 | 14
Penne Pasta 500g | 1.10 | 14
Fusilli Pasta 1kg | 1.90 | 21
Basmati Rice 2kg | 4.50 | 30
Arborio Risotto Rice 1kg | 3.20 | 45
Tomato & Basil Pasta Sauce 500g | 2.10 | 14
Arrabbiata Pasta Sauce 500g | 2.20 | 14
Pesto alla Genovese 190g | 2.60 | 21
Chopped Tomatoes 4-pack | 2.40 | 14
Extra Virgin Olive Oil 1L | 8.90 | 45
Sunflower Oil 1L | 2.20 | 45
Balsamic Vinegar 500ml | 3.90 | 60
Sea Salt Flakes 250g | 2.90 | 90
Black Peppercorns 100g | 2.70 | 90
Vegetable Stock Cubes 12-pack | 1.60 | 30
Coconut Milk 400ml | 1.30 | 21
Red Lentils 1kg | 2.40 | 30
Chickpeas 4-pack | 2.60 | 21
Plain Flour 1.5kg | 1.20 | 45
Strong Bread Flour 1.5kg | 1.80 | 30
Fast Action Dried Yeast 7 sachets | 1.10 | 45
Soy Sauce 500ml | 2.50 | 60
Thai Green Curry Paste 200g | 2.30 | 30
Parmigiano Reggiano 200g | 4.90 | 21
## Frozen (FRZ)
Frozen Mixed Berries 500g | 3.50 | 14
Frozen Mango Chunks 500g | 3.20 | 14
Frozen Garden Peas 1kg | 1.60 | 21
Frozen Spinach 900g | 2.00 | 21
Sweet Potato Fries 750g | 2.80 | 14
Margherita Pizza 2-pack | 4.50 | 14
Veggie Burgers 4-pack | 3.60 | 14
Fish Fingers 10-pack | 2.90 | 14
Vanilla Ice Cream 1L | 3.80 | 21
Salted Caramel Ice Cream 500ml | 4.90 | 21
Dairy-Free Chocolate Ice Cream 500ml | 5.20 | 21
Frozen Prawns 300g | 5.50 | 21
Gyoza Dumplings 20-pack | 4.80 | 21
Ice Lollies 8-pack | 3.20 | 21
Christmas Pudding 800g | 7.90 | xmas
## Drinks (DRK)
Sparkling Water 12-pack | 4.80 | 10
Still Spring Water 12-pack | 3.90 | 10
Elderflower Cordial 500ml | 3.20 | 30
Cloudy Lemonade 1L | 1.60 | 14
Ginger Beer 4-pack | 3.40 | 14
Cola Zero 8-pack | 4.20 | 10
Kombucha Original 330ml | 2.20 | 10
Coconut Water 1L | 3.10 | 14
Tonic Water 8-pack | 3.60 | 21
Oat Hot Chocolate 300g | 4.50 | 30
Alcohol-Free Beer 4-pack | 4.50 | 14
Energy Drink 4-pack | 4.80 | 10
Apple & Mango Juice 1L | 2.10 | 10
Craft Cider 4-pack | 6.90 | 14
Iced Latte 4-pack | 5.20 | 14
Protein Shake Chocolate 6-pack | 9.90 | 14
Sparkling Apple Juice 750ml | 3.90 | xmas
Mulled Wine Spice Kit | 5.50 | xmas
## Household & Cleaning (HOU)
Laundry Detergent 2L | 9.90 | 40
Laundry Capsules 40-pack | 11.50 | 40
Fabric Conditioner 1.5L | 3.90 | 45
Dishwasher Tablets 50-pack | 10.90 | 40
Washing-Up Liquid 900ml | 2.10 | 30
Multi-Surface Cleaner 750ml | 2.50 | 45
Bathroom Cleaner 750ml | 2.70 | 50
Toilet Cleaner Gel 750ml | 1.90 | 40
Glass Cleaner 500ml | 2.30 | 60
Kitchen Roll 4-pack | 3.80 | 21
Toilet Tissue 9-pack | 4.90 | 21
Bin Bags 40-pack | 3.40 | 40
Microfibre Cloths 6-pack | 4.50 | 120
Sponge Scourers 10-pack | 2.20 | 45
Eco Refill Concentrate 1L | 6.90 | 60
Dishwasher Salt 2kg | 2.90 | 90
Rinse Aid 500ml | 2.80 | 90
Water Filter Cartridges 3-pack | 14.90 | 60
Scented Candle Fig | 14.00 | -
Reusable Storage Bags 10-pack | 9.90 | -
Bamboo Dish Brush | 4.20 | -
Water Filter Jug 2.4L | 24.90 | -
## Personal Care (PER)
Argan Oil Shampoo 400ml | 4.90 | 45
Anti-Dandruff Shampoo 400ml | 5.20 | 45
Argan Oil Conditioner 400ml | 4.90 | 50
Citrus Shower Gel 500ml | 2.90 | 30
Body Lotion 400ml | 5.90 | 50
Hand Soap Refill 1L | 4.20 | 45
Lavender Bar Soap 3-pack | 3.90 | 45
Whitening Toothpaste 75ml | 2.80 | 40
Sensitive Toothpaste 75ml | 3.40 | 40
Toothbrush Heads 4-pack | 14.90 | 90
Dental Floss 50m | 2.10 | 60
Mouthwash 500ml | 3.60 | 40
Roll-On Deodorant 50ml | 2.40 | 35
Razor Blades 8-pack | 16.90 | 45
Shaving Foam 250ml | 2.90 | 45
Cotton Pads 100-pack | 1.80 | 40
Lip Balm 2-pack | 3.20 | 60
Facial Moisturiser 50ml | 12.50 | 50
Sunscreen SPF50 200ml | 8.90 | -
Electric Toothbrush | 49.90 | -
Razor Starter Kit | 9.90 | -
Bath Gift Set | 19.50 | xmas
## Baby & Toddler (BAB)
Nappies Size 3 60-pack | 14.50 | 14
Nappies Size 4 54-pack | 14.50 | 14
Nappies Size 5 48-pack | 14.50 | 14
Sensitive Baby Wipes 12-pack | 12.00 | 21
Baby Shampoo 300ml | 3.90 | 45
Nappy Cream 100g | 4.50 | 45
First Infant Formula 800g | 12.80 | 10
Follow-On Formula 800g | 12.80 | 10
Baby Porridge 200g | 2.50 | 14
Fruit Puree Pouches 8-pack | 6.40 | 10
Veggie Puffs 6-pack | 4.20 | 14
Toddler Milk Drink 1L | 1.90 | 10
Organic Baby Rice 160g | 2.20 | 21
Baby Laundry Liquid 1.5L | 6.50 | 40
Steriliser Tablets 56-pack | 4.90 | 30
Baby Bottles Starter Set | 29.90 | -
Bottle Steriliser | 39.90 | -
Teething Rings 2-pack | 5.90 | -
Soft Toy Bunny | 12.00 | -
Baby Sleeping Bag | 24.00 | -
Bath Thermometer Duck | 6.50 | -
## Pet Supplies (PET)
Adult Dry Dog Food 12kg | 42.00 | 35
Puppy Dry Dog Food 2.5kg | 14.90 | 21
Wet Dog Food 12-pack | 11.50 | 14
Dog Dental Chews 28-pack | 9.90 | 28
Dog Training Treats 200g | 3.80 | 21
Indoor Dry Cat Food 4kg | 18.90 | 30
Wet Cat Food Pouches 40-pack | 15.90 | 14
Salmon Cat Treats 60g | 1.90 | 14
Clumping Cat Litter 10L | 8.90 | 21
Wood Pellet Cat Litter 15L | 7.50 | 28
Poop Bags 240-pack | 6.90 | 60
Flea & Tick Spot-On 3-pack | 19.90 | 90
Cat Fountain Filters 4-pack | 9.90 | 60
Pet Shampoo 250ml | 6.20 | 60
Wild Bird Seed Mix 2kg | 5.90 | 30
Tropical Fish Flakes 100g | 4.80 | 45
Cat Fountain | 34.90 | -
Large Dog Bed | 39.90 | -
Rope Tug Toy | 6.50 | -
Cat Scratching Post | 24.90 | -
Reflective Dog Lead | 12.90 | -
Pet Christmas Stocking | 9.50 | xmas
## Health & Wellness (HEA)
Vitamin D3 90 tablets | 6.90 | 90
Multivitamin 60 tablets | 8.50 | 60
Vitamin C 1000mg 60 tablets | 5.90 | 60
Omega-3 Fish Oil 90 capsules | 11.90 | 90
Magnesium 60 tablets | 7.90 | 60
Probiotic 30 capsules | 16.50 | 30
Whey Protein Vanilla 1kg | 24.90 | 30
Vegan Protein Chocolate 1kg | 27.90 | 30
Collagen Powder 300g | 22.00 | 30
Electrolyte Tablets 20-pack | 6.50 | 30
Creatine Monohydrate 500g | 19.90 | 60
Hand Sanitiser 500ml | 3.90 | 60
Assorted Plasters 40-pack | 2.90 | 120
Ibuprofen 200mg 16 tablets | 0.90 | 60
Throat Lozenges 24-pack | 3.50 | 60
Herbal Sleep Aid 30 tablets | 7.50 | 30
Yoga Mat | 24.90 | -
Resistance Bands Set | 14.90 | -
Shaker Bottle 700ml | 6.90 | -
Digital Thermometer | 9.90 | -
## Kitchen & Appliances (KIT)
Espresso Machine | 249.00 | -
Bean-to-Cup Coffee Machine | 449.00 | -
Coffee Pod Machine | 89.00 | -
Burr Coffee Grinder | 79.00 | -
Pour-Over Coffee Dripper | 18.00 | -
French Press 1L | 24.00 | -
Electric Milk Frother | 39.00 | -
Electric Kettle 1.7L | 34.90 | -
Gooseneck Kettle | 59.00 | -
Stainless Steel Travel Mug | 16.50 | -
Ceramic Mug Set 4-pack | 19.90 | -
Sparkling Water Maker | 79.00 | -
CO2 Gas Cylinder Refill | 19.90 | 45
High-Speed Blender 1.5L | 59.00 | -
Two-Slice Toaster | 29.90 | -
Chef's Knife 20cm | 39.00 | -
Bamboo Chopping Board | 14.90 | -
Non-Stick Frying Pan 28cm | 29.00 | -
Cast Iron Casserole 4.7L | 89.00 | -
Glass Food Containers 5-pack | 24.90 | -
Digital Kitchen Scale | 14.90 | -
Silicone Baking Mat 2-pack | 11.90 | -
Festive Cookie Cutter Set | 8.50 | xmas
"""
